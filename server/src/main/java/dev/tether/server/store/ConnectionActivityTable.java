package dev.tether.server.store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Writes what agents' connections did in an interval in one transaction: when each token was last
 * used, when each agent was last seen, and the connection events. A server restart has thousands of
 * agents connect within seconds; a statement each for these on every connect held up their
 * authentication on the database's connection pool.
 */
public final class ConnectionActivityTable {
  private final Jdbc jdbc;

  ConnectionActivityTable(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  /** One transaction: all of it is written, or none. */
  public void write(Map<String, Instant> tokensUsed, Map<String, Instant> agentsSeen, Collection<EventStore.NewEvent> events) {
    if (tokensUsed.isEmpty() && agentsSeen.isEmpty() && events.isEmpty()) {
      return;
    }
    jdbc.transaction("write connection activity", c -> {
      if (!tokensUsed.isEmpty()) {
        Jdbc.batch(c, "update agent_tokens set last_used_at = ? where id = ?", rows(tokensUsed));
      }
      if (!agentsSeen.isEmpty()) {
        Jdbc.batch(c, "update agents set last_seen_at = ? where name = ?", rows(agentsSeen));
      }
      if (!events.isEmpty()) {
        List<Object[]> rows = new ArrayList<>(events.size());
        for (EventStore.NewEvent e : events) {
          rows.add(new Object[] {e.at(), e.kind(), e.severity(), e.agentName(), e.projectId(), e.message(), e.details()});
        }
        Jdbc.batch(c, "insert into events (at, kind, severity, agent_name, project_id, message, details) values (?, ?, ?, ?, ?, ?, ?)",
            rows);
      }
      return null;
    });
  }

  private static List<Object[]> rows(Map<String, Instant> times) {
    List<Object[]> rows = new ArrayList<>(times.size());
    // Sorted by key: two replicas updating the same rows lock them in the same order and cannot deadlock.
    times.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> rows.add(new Object[] {e.getValue(), e.getKey()}));
    return rows;
  }
}
