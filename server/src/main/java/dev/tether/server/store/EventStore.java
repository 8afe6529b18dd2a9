package dev.tether.server.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** The events feed: what happened, newest first. */
public interface EventStore {
  record Event(long id, Instant at, String kind, String severity, Optional<String> agentName, Optional<String> projectId,
      String message, Optional<String> details) {}

  /** An event not written yet, e.g. waiting in a batch. */
  record NewEvent(Instant at, String kind, String severity, String agentName, String projectId, String message, String details) {}

  void add(Instant at, String kind, String severity, String agentName, String projectId, String message, String details);

  /** The newest events, optionally of one agent and/or kind, with ids below {@code beforeId} when given. */
  List<Event> newest(Optional<String> agentName, Optional<String> kind, Optional<Long> beforeId, int limit);

  /** Keeps only the newest {@code keep} events. */
  void trim(int keep);
}
