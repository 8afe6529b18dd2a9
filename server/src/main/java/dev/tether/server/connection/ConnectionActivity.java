package dev.tether.server.connection;

import dev.tether.server.events.EventLog;
import dev.tether.server.store.ConnectionActivityTable;
import dev.tether.server.store.EventStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What connecting agents leave behind — a token's last use, an agent's last sighting, the
 * "Connected" and "Disconnected" events — written every {@link #WRITE_EVERY} in one transaction
 * instead of a statement each on the connect path. After a restart every agent connects within
 * seconds; four statements per connect exhausted the database pool and made authentications wait and
 * time out. Times only ever move forward here, so a batch keeps the latest of each.
 */
public final class ConnectionActivity implements AutoCloseable {
  static final Duration WRITE_EVERY = Duration.ofMillis(250);
  // Events kept for a retry while the database fails; beyond this they are dropped (and counted in the log).
  private static final int MAX_EVENTS_WAITING = 10_000;
  private static final Logger log = LoggerFactory.getLogger(ConnectionActivity.class);

  private final ConnectionActivityTable table;
  private final EventLog events;
  private final BatchWriter writer;
  // Guarded by this.
  private Map<String, Instant> tokensUsed = new HashMap<>();
  private Map<String, Instant> agentsSeen = new HashMap<>();
  private final List<EventStore.NewEvent> eventsWaiting = new ArrayList<>();
  private boolean failing;

  public ConnectionActivity(ConnectionActivityTable table, EventLog events) {
    this.table = table;
    this.events = events;
    events.deferRepeatable();
    writer = new BatchWriter("connection-activity-writer", WRITE_EVERY, this::write);
  }

  public synchronized void tokenUsed(String tokenId, Instant at) {
    tokensUsed.merge(tokenId, at, ConnectionActivity::later);
  }

  public synchronized void agentSeen(String agentName, Instant at) {
    agentsSeen.merge(agentName, at, ConnectionActivity::later);
  }

  private static Instant later(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  /** Writes what waits; on the writer thread, and once more at close. */
  void write() {
    Map<String, Instant> used;
    Map<String, Instant> seen;
    List<EventStore.NewEvent> batch;
    synchronized (this) {
      used = tokensUsed;
      seen = agentsSeen;
      tokensUsed = new HashMap<>();
      agentsSeen = new HashMap<>();
      eventsWaiting.addAll(events.takeDeferred());
      batch = List.copyOf(eventsWaiting);
      eventsWaiting.clear();
    }
    try {
      table.write(used, seen, batch);
      if (failing) {
        log.info("Agents' last use and connection events are written to the database again");
        failing = false;
      }
    } catch (RuntimeException e) {
      int dropped;
      synchronized (this) {
        used.forEach((k, v) -> tokensUsed.merge(k, v, ConnectionActivity::later));
        seen.forEach((k, v) -> agentsSeen.merge(k, v, ConnectionActivity::later));
        int room = Math.max(0, MAX_EVENTS_WAITING - eventsWaiting.size());
        eventsWaiting.addAll(0, batch.subList(Math.max(0, batch.size() - room), batch.size()));
        dropped = Math.max(0, batch.size() - room);
      }
      if (!failing || dropped > 0) {
        log.warn("Cannot write agents' last use and connection events to the database ({}); they are written when it works again"
            + (dropped > 0 ? "; " + dropped + " older connection events were dropped" : ""), e.getMessage());
        failing = true;
      }
    }
  }

  /** Stops, after one last write of what waits. */
  @Override
  public void close() {
    writer.close();
  }
}
