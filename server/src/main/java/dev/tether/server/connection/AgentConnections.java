package dev.tether.server.connection;

import dev.tether.proto.v1.GitopsRole;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The agents connected to this server right now, and which connection of each agent applies
 * GitOps. Two processes with one token would otherwise both apply, and the one that fell behind would
 * prune what the other had just applied. The role goes to the first connection admitted among those
 * that contend for it: a replica contends while it holds its agent's Lease, a process without a Lease
 * always does. A holder keeps the role while it contends; when it leaves or stops contending, the
 * oldest contending connection gets it. So a replica that lost the Lease but stays connected never
 * keeps the role from the replica that now leads.
 *
 * <p>This implementation knows the connections of this server only: one server alone, or the local
 * half of {@link ReplicatedAgentDirectory}, which it tells of every change.
 */
public final class AgentConnections implements AgentDirectory {

  /**
   * One agent connection, as the status API shows it.
   *
   * @param usesLease the process runs GitOps only while it holds its Lease (a replica)
   * @param holdsLease it holds the Lease now
   * @param replicaId the server replica that holds the connection (its stream and its tunnels)
   */
  public record Connection(String id, String agentName, String tokenId, Instant since, String version,
      String podName, String podNamespace, String clusterVersion, String remoteAddress, Instant lastHeartbeat,
      boolean usesLease, boolean holdsLease, String replicaId) {

    Connection withHeartbeat(Instant at) {
      return new Connection(id, agentName, tokenId, since, version, podName, podNamespace, clusterVersion, remoteAddress, at,
          usesLease, holdsLease, replicaId);
    }

    Connection withLease(boolean used, boolean held) {
      return new Connection(id, agentName, tokenId, since, version, podName, podNamespace, clusterVersion, remoteAddress,
          lastHeartbeat, used, held, replicaId);
    }

    /** Whether this connection may be given the GitOps role. */
    public boolean contends() {
      return !usesLease || holdsLease;
    }
  }

  private final Map<String, Connection> byId = new ConcurrentHashMap<>();
  // The ids of each agent's connections: finding an agent's connections must not scan them all, since a
  // server restart has every agent connect at once (quadratic in the fleet: minutes at 10,000 agents).
  private final Map<String, Set<String>> idsByAgent = new ConcurrentHashMap<>();
  // Guarded by this: the applying connection of each agent, and how to tell a connection its role.
  private final Map<String, String> applierByAgent = new HashMap<>();
  private final Map<String, Consumer<GitopsRole>> roleListeners = new HashMap<>();

  private record Notice(String connectionId, Consumer<GitopsRole> listener, GitopsRole role) {}

  /** Told of every connection admitted, changed (its Lease or GitOps role) and removed; heartbeats are not changes. */
  public interface Changes {
    void admitted(Connection connection);

    void changed(Connection connection);

    void removed(Connection connection);
  }

  private volatile Changes changes = new Changes() {
    @Override public void admitted(Connection connection) { }
    @Override public void changed(Connection connection) { }
    @Override public void removed(Connection connection) { }
  };

  /** Where changes go, e.g. to the database for the other replicas; one listener, set before agents connect. */
  public void reportChangesTo(Changes listener) {
    this.changes = listener;
  }

  /**
   * Admits a connection and decides its GitOps role.
   *
   * @param roleChanged told when this connection's role changes later (given, or taken away)
   */
  GitopsRole add(Connection connection, Consumer<GitopsRole> roleChanged) {
    List<Notice> notices;
    GitopsRole role;
    synchronized (this) {
      idsByAgent.computeIfAbsent(connection.agentName(), a -> ConcurrentHashMap.newKeySet()).add(connection.id());
      byId.put(connection.id(), connection);
      roleListeners.put(connection.id(), roleChanged);
      notices = assign(connection.agentName(), connection.id());
      role = roleOf(connection);
    }
    changes.admitted(connection);
    tell(notices);
    return role;
  }

  /** The connection's process gained or lost its Lease: the role may move. */
  void leaseChanged(String connectionId, boolean used, boolean held) {
    List<Notice> notices;
    Connection after;
    synchronized (this) {
      Connection before = byId.get(connectionId);
      if (before == null || (before.usesLease() == used && before.holdsLease() == held)) {
        return;
      }
      after = before.withLease(used, held);
      byId.put(connectionId, after);
      notices = assign(before.agentName(), null);
    }
    changes.changed(after);
    tell(notices);
  }

  // Guarded by this. Keeps a contending holder; else gives the role to the oldest contending connection and
  // tells the old holder and the new one (but not {@code quiet}, which learns its role from the caller).
  private List<Notice> assign(String agentName, String quiet) {
    String holderId = applierByAgent.get(agentName);
    Connection holder = holderId == null ? null : byId.get(holderId);
    if (holder != null && holder.contends()) {
      return List.of();
    }
    Connection next = of(agentName).stream().filter(Connection::contends).findFirst().orElse(null);
    List<Notice> notices = new ArrayList<>();
    if (holder != null) {
      applierByAgent.remove(agentName);
      if (!holder.id().equals(quiet)) {
        notices.add(new Notice(holder.id(), roleListeners.get(holder.id()), GitopsRole.newBuilder().setApplies(false)
            .setReason(next == null ? notContending(holder) : standbyReason(next)).build()));
      }
    }
    if (next != null) {
      applierByAgent.put(agentName, next.id());
      if (!next.id().equals(quiet)) {
        notices.add(new Notice(next.id(), roleListeners.get(next.id()), GitopsRole.newBuilder().setApplies(true).build()));
      }
    }
    notices.removeIf(n -> n.listener() == null);
    return notices;
  }

  private void tell(List<Notice> notices) {
    for (Notice notice : notices) {
      notice.listener().accept(notice.role());
      Connection now = byId.get(notice.connectionId());
      if (now != null) {
        changes.changed(now);
      }
    }
  }

  // Guarded by this.
  private GitopsRole roleOf(Connection connection) {
    String applier = applierByAgent.get(connection.agentName());
    if (connection.id().equals(applier)) {
      return GitopsRole.newBuilder().setApplies(true).build();
    }
    Connection holder = applier == null ? null : byId.get(applier);
    return GitopsRole.newBuilder().setApplies(false)
        .setReason(holder == null ? notContending(connection) : standbyReason(holder)).build();
  }

  private static String notContending(Connection connection) {
    return "this replica of agent '" + connection.agentName() + "' does not hold the agent's Lease; it serves proxied requests "
        + "and applies when it holds the Lease";
  }

  public static String standbyReason(Connection holder) {
    return "another process of agent '" + holder.agentName() + "' applies its manifests (connection " + holder.id() + " from "
        + holder.remoteAddress() + (holder.podName().isEmpty() ? "" : ", pod " + holder.podNamespace() + "/" + holder.podName())
        + ", since " + holder.since() + "); this one only serves proxied requests and takes over if that one goes. "
        + (holder.usesLease() ? "It holds the agent's Lease" : "If one token runs in two places by mistake, stop one of them");
  }

  @Override
  public synchronized boolean applies(String agentName, String connectionId) {
    return connectionId.equals(applierByAgent.get(agentName));
  }

  @Override
  public synchronized Optional<Connection> applier(String agentName) {
    return Optional.ofNullable(applierByAgent.get(agentName)).map(byId::get);
  }

  void heartbeat(String connectionId, Instant at) {
    byId.computeIfPresent(connectionId, (id, c) -> c.withHeartbeat(at));
  }

  /** Forgets a connection; when it applied, the oldest other contending connection of its agent takes over and is told. */
  void remove(String connectionId) {
    List<Notice> notices = List.of();
    Connection gone;
    synchronized (this) {
      gone = byId.remove(connectionId);
      roleListeners.remove(connectionId);
      if (gone != null) {
        idsByAgent.computeIfPresent(gone.agentName(), (agent, ids) -> {
          ids.remove(connectionId);
          return ids.isEmpty() ? null : ids;
        });
      }
      if (gone != null && connectionId.equals(applierByAgent.get(gone.agentName()))) {
        applierByAgent.remove(gone.agentName());
        notices = assign(gone.agentName(), null);
      }
    }
    if (gone != null) {
      changes.removed(gone);
    }
    tell(notices);
  }

  @Override
  public List<Connection> of(String agentName) {
    return idsByAgent.getOrDefault(agentName, Set.of()).stream().map(byId::get).filter(java.util.Objects::nonNull)
        .sorted(Comparator.comparing(Connection::since).thenComparing(Connection::id)).toList();
  }

  @Override
  public List<Connection> all() {
    return byId.values().stream().sorted(Comparator.comparing(Connection::agentName).thenComparing(Connection::since)).toList();
  }
}
