package dev.tether.server.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.server.store.EventStore;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records what happened for the events feed (API, UI): agents connecting and leaving, configuration
 * accepted or refused, fetches failing and recovering, syncs, tokens. Recording never fails the
 * work it describes.
 */
public final class EventLog {
  private static final Logger log = LoggerFactory.getLogger(EventLog.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int KEEP = 10_000;

  private final EventStore store;
  private final Clock clock;
  private final AtomicLong sinceTrim = new AtomicLong();

  public EventLog(EventStore store, Clock clock) {
    this.store = store;
    this.clock = clock;
  }

  public void info(String kind, String agent, String project, String message) {
    add(kind, "info", agent, project, message, null);
  }

  public void warning(String kind, String agent, String project, String message) {
    add(kind, "warning", agent, project, message, null);
  }

  /** A finished sync, with the figures the timeline draws. */
  public void sync(String agent, String project, boolean ok, String message, Map<String, Object> details) {
    try {
      add("sync", ok ? "info" : "warning", agent, project, message, JSON.writeValueAsString(details));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private void add(String kind, String severity, String agent, String project, String message, String details) {
    try {
      store.add(clock.instant(), kind, severity, agent, project, message, details);
      if (sinceTrim.incrementAndGet() % 500 == 0) {
        store.trim(KEEP);
      }
    } catch (RuntimeException e) {
      log.warn("Could not record the event '{}': {}", message, e.toString());
    }
  }
}
