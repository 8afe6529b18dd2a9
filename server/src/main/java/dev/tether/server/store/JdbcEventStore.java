package dev.tether.server.store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

final class JdbcEventStore implements EventStore {
  private final Jdbc jdbc;

  JdbcEventStore(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public void add(Instant at, String kind, String severity, String agentName, String projectId, String message, String details) {
    jdbc.update("insert into events (at, kind, severity, agent_name, project_id, message, details) values (?, ?, ?, ?, ?, ?, ?)",
        at, kind, severity, agentName, projectId, message, details);
  }

  @Override
  public List<Event> newest(Optional<String> agentName, Optional<String> kind, Optional<Long> beforeId, int limit) {
    StringBuilder sql = new StringBuilder("select * from events where 1 = 1");
    List<Object> args = new ArrayList<>();
    agentName.ifPresent(a -> {
      sql.append(" and agent_name = ?");
      args.add(a);
    });
    kind.ifPresent(k -> {
      sql.append(" and kind = ?");
      args.add(k);
    });
    beforeId.ifPresent(b -> {
      sql.append(" and id < ?");
      args.add(b);
    });
    sql.append(" order by id desc limit ").append(Math.max(1, Math.min(limit, 1000)));
    return jdbc.query(sql.toString(), row -> new Event(row.getLong("id"), Jdbc.instant(row, "at"), row.getString("kind"),
        row.getString("severity"), Optional.ofNullable(row.getString("agent_name")), Optional.ofNullable(row.getString("project_id")),
        row.getString("message"), Optional.ofNullable(row.getString("details"))), args.toArray());
  }

  @Override
  public void trim(int keep) {
    jdbc.update("delete from events where id <= (select coalesce(max(id), 0) - ? from events)", keep);
  }
}
