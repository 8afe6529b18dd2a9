package dev.tether.server.store;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

final class JdbcAgentStore implements AgentStore {
  private final Jdbc jdbc;

  JdbcAgentStore(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public void create(Agent a) {
    try {
      jdbc.update("insert into agents (name, config_project_id, created_at) values (?, ?, ?)",
          a.name(), a.configProjectId(), a.createdAt());
    } catch (Jdbc.DuplicateKeyException e) {
      throw new AlreadyExistsException("agent '" + a.name() + "' exists already");
    }
  }

  @Override
  public Optional<Agent> find(String name) {
    return jdbc.queryOne("select * from agents where name = ?", JdbcAgentStore::agent, name);
  }

  @Override
  public List<Agent> list() {
    return jdbc.query("select * from agents order by name", JdbcAgentStore::agent);
  }

  @Override
  public List<Agent> usingConfigProject(String projectId) {
    return jdbc.query("select * from agents where config_project_id = ? order by name", JdbcAgentStore::agent, projectId);
  }

  private static Agent agent(ResultSet row) throws SQLException {
    return new Agent(row.getString("name"), row.getString("config_project_id"), Jdbc.instant(row, "created_at"),
        Optional.ofNullable(Jdbc.instant(row, "last_seen_at")));
  }
}
