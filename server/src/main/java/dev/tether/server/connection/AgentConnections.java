package dev.tether.server.connection;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The agents connected to this server right now. */
public final class AgentConnections {

  /** One agent connection, as the status API shows it. */
  public record Connection(String id, String agentName, String tokenId, Instant since, String version,
      String podName, String podNamespace, String clusterVersion, String remoteAddress, Instant lastHeartbeat) {

    Connection withHeartbeat(Instant at) {
      return new Connection(id, agentName, tokenId, since, version, podName, podNamespace, clusterVersion, remoteAddress, at);
    }
  }

  private final Map<String, Connection> byId = new ConcurrentHashMap<>();

  void add(Connection connection) {
    byId.put(connection.id(), connection);
  }

  void heartbeat(String connectionId, Instant at) {
    byId.computeIfPresent(connectionId, (id, c) -> c.withHeartbeat(at));
  }

  void remove(String connectionId) {
    byId.remove(connectionId);
  }

  public List<Connection> of(String agentName) {
    return byId.values().stream().filter(c -> c.agentName().equals(agentName))
        .sorted(Comparator.comparing(Connection::since)).toList();
  }

  public List<Connection> all() {
    return byId.values().stream().sorted(Comparator.comparing(Connection::agentName).thenComparing(Connection::since)).toList();
  }
}
