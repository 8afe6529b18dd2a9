package dev.tether.server.store;

import java.time.Instant;
import java.util.List;

/** The last sync report of each agent and manifest project, as the agent sent it (protobuf bytes). */
public interface GitopsStateStore {
  record GitopsState(String agentName, String projectId, byte[] report, Instant updatedAt) {}

  void record(String agentName, String projectId, byte[] report, Instant at);

  List<GitopsState> of(String agentName);
}
