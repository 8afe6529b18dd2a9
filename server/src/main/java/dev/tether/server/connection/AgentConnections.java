package dev.tether.server.connection;

import dev.tether.proto.v1.GitopsRole;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The agents connected to this server right now, and which connection of each agent applies
 * GitOps: the first one admitted. Two processes with one token would otherwise both apply, and
 * the one that fell behind would prune what the other had just applied.
 */
public final class AgentConnections {

  /** One agent connection, as the status API shows it. */
  public record Connection(String id, String agentName, String tokenId, Instant since, String version,
      String podName, String podNamespace, String clusterVersion, String remoteAddress, Instant lastHeartbeat) {

    Connection withHeartbeat(Instant at) {
      return new Connection(id, agentName, tokenId, since, version, podName, podNamespace, clusterVersion, remoteAddress, at);
    }
  }

  private final Map<String, Connection> byId = new ConcurrentHashMap<>();
  // Guarded by this: the applying connection of each agent, and how to tell a connection its role.
  private final Map<String, String> applierByAgent = new HashMap<>();
  private final Map<String, Consumer<GitopsRole>> roleListeners = new HashMap<>();

  /**
   * Admits a connection and decides its GitOps role.
   *
   * @param roleChanged told when this connection is given the role later (the applier left)
   */
  synchronized GitopsRole add(Connection connection, Consumer<GitopsRole> roleChanged) {
    byId.put(connection.id(), connection);
    roleListeners.put(connection.id(), roleChanged);
    String applier = applierByAgent.get(connection.agentName());
    Connection holder = applier == null ? null : byId.get(applier);
    if (holder == null) {
      applierByAgent.put(connection.agentName(), connection.id());
      return GitopsRole.newBuilder().setApplies(true).build();
    }
    return GitopsRole.newBuilder().setApplies(false).setReason(standbyReason(holder)).build();
  }

  public static String standbyReason(Connection holder) {
    return "another process of agent '" + holder.agentName() + "' applies its manifests (connection " + holder.id() + " from "
        + holder.remoteAddress() + (holder.podName().isEmpty() ? "" : ", pod " + holder.podNamespace() + "/" + holder.podName())
        + ", since " + holder.since() + "); this one only serves proxied requests and takes over if that one goes. "
        + "If one token runs in two places by mistake, stop one of them";
  }

  /** Whether the connection applies its agent's GitOps. */
  public synchronized boolean applies(String agentName, String connectionId) {
    return connectionId.equals(applierByAgent.get(agentName));
  }

  /** The connection that applies the agent's GitOps, if one is connected. */
  public synchronized Optional<Connection> applier(String agentName) {
    return Optional.ofNullable(applierByAgent.get(agentName)).map(byId::get);
  }

  void heartbeat(String connectionId, Instant at) {
    byId.computeIfPresent(connectionId, (id, c) -> c.withHeartbeat(at));
  }

  /** Forgets a connection; when it applied, the oldest other connection of its agent takes over and is told. */
  void remove(String connectionId) {
    Consumer<GitopsRole> notify = null;
    Connection next = null;
    synchronized (this) {
      Connection gone = byId.remove(connectionId);
      roleListeners.remove(connectionId);
      if (gone != null && connectionId.equals(applierByAgent.get(gone.agentName()))) {
        applierByAgent.remove(gone.agentName());
        next = of(gone.agentName()).stream().findFirst().orElse(null);
        if (next != null) {
          applierByAgent.put(next.agentName(), next.id());
          notify = roleListeners.get(next.id());
        }
      }
    }
    if (notify != null) {
      notify.accept(GitopsRole.newBuilder().setApplies(true).build());
    }
  }

  public List<Connection> of(String agentName) {
    return byId.values().stream().filter(c -> c.agentName().equals(agentName))
        .sorted(Comparator.comparing(Connection::since)).toList();
  }

  public List<Connection> all() {
    return byId.values().stream().sorted(Comparator.comparing(Connection::agentName).thenComparing(Connection::since)).toList();
  }
}
