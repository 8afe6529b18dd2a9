package dev.tether.server.store;

import java.time.Instant;
import java.util.List;

/**
 * The last sync report of each agent and manifest project entry, as a {@link SyncRecord}. An entry is
 * its project and inventory id: one project may be listed twice, each time with its own inventory_id.
 */
public interface GitopsStateStore {
  record GitopsState(String agentName, String projectId, String inventoryId, SyncRecord report, Instant updatedAt) {}

  /** One entry of an agent's gitops.manifest_projects, as the reports are keyed. */
  record Entry(String projectId, String inventoryId) {}

  void record(String agentName, String projectId, String inventoryId, SyncRecord report, Instant at);

  List<GitopsState> of(String agentName);

  /** Forgets the reports and drift pauses of the agent's entries other than these (they left its configuration). */
  void retainOnly(String agentName, java.util.Set<Entry> entries);

  /**
   * Pauses or resumes drift correction of the agent's entry (by inventory id). A pause is kept until
   * resumed, whether or not the agent is connected, and outlives server restarts.
   */
  void pauseDriftCorrection(String agentName, String inventoryId, boolean paused, Instant at);

  /** Whether an administrator paused drift correction of the agent's entry. */
  boolean driftCorrectionPaused(String agentName, String inventoryId);
}
