package dev.tether.server.store;

import java.util.List;
import java.util.Optional;

public interface AgentStore {
  /** @throws AlreadyExistsException if an agent with this name exists */
  void create(Agent agent);

  Optional<Agent> find(String name);

  List<Agent> list();

  /** The agents whose configuration comes from {@code projectId}. */
  List<Agent> usingConfigProject(String projectId);

  // When an agent was last seen is written with other connection activity, in batches: ConnectionActivityTable.
}
