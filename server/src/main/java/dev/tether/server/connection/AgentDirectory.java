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
}
