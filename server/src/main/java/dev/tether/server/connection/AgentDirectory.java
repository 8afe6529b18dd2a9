package dev.tether.server.connection;

import dev.tether.server.connection.AgentConnections.Connection;
import java.util.List;
import java.util.Optional;

/**
 * Where agents are connected: their live connections and the connection of each agent that applies
 * its GitOps. The proxy asks it whether an agent has a tunnel, the GitOps service who applies, the
 * API what is connected.
 *
 * <p>Shared state: with server replicas an agent's connections are spread over replicas. A shared
 * implementation lists the connections of every replica, each with the replica that holds it (so a
 * proxied request can be routed there), keeps them under a lease that lapses within seconds when
 * that replica dies, and gives the GitOps role to one connection per agent across all replicas.
 */
public interface AgentDirectory {
  /** The agent's live connections, oldest first. */
  List<Connection> of(String agentName);

  /** Every live connection, by agent name then age. */
  List<Connection> all();

  /** Whether the connection applies its agent's GitOps. */
  boolean applies(String agentName, String connectionId);

  /** The connection that applies the agent's GitOps, if one is connected. */
  Optional<Connection> applier(String agentName);

  /** Whether replica {@code self} holds a connection of the agent itself. */
  default boolean holdsHere(String agentName, String self) {
    return of(agentName).stream().anyMatch(c -> c.replicaId().equals(self));
  }

  /**
   * The replicas other than {@code self} that hold the agent's connections, the newest connection's
   * first (an agent that moved is there now): where to send work for the agent that must run where its
   * streams are.
   */
  default List<String> otherReplicasHolding(String agentName, String self) {
    List<Connection> connections = of(agentName);
    List<String> owners = new java.util.ArrayList<>();
    for (int i = connections.size() - 1; i >= 0; i--) {
      String owner = connections.get(i).replicaId();
      if (!owner.equals(self) && !owners.contains(owner)) {
        owners.add(owner);
      }
    }
    return owners;
  }
}
