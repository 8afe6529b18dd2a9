package dev.tether.server.store;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

final class JdbcTokenStore implements TokenStore {
  private final Jdbc jdbc;

  JdbcTokenStore(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public void add(AgentToken t, String digest) {
    jdbc.update("insert into agent_tokens (id, agent_name, digest, description, created_at) values (?, ?, ?, ?, ?)",
        t.id(), t.agentName(), digest, t.description(), t.createdAt());
  }

  @Override
  public Optional<AgentToken> findByDigest(String digest) {
    return jdbc.queryOne("select * from agent_tokens where digest = ?", JdbcTokenStore::token, digest);
  }

  @Override
  public Optional<AgentToken> find(String id) {
    return jdbc.queryOne("select * from agent_tokens where id = ?", JdbcTokenStore::token, id);
  }

  @Override
  public List<AgentToken> list(Optional<String> agentName) {
    return agentName.isPresent()
        ? jdbc.query("select * from agent_tokens where agent_name = ? order by created_at, id", JdbcTokenStore::token, agentName.get())
        : jdbc.query("select * from agent_tokens order by agent_name, created_at, id", JdbcTokenStore::token);
  }

  @Override
  public boolean revoke(String id, Instant at) {
    return jdbc.update("update agent_tokens set revoked_at = ? where id = ? and revoked_at is null", at, id) == 1;
  }

  private static AgentToken token(ResultSet row) throws SQLException {
    return new AgentToken(row.getString("id"), row.getString("agent_name"), row.getString("description"),
        Jdbc.instant(row, "created_at"), Optional.ofNullable(Jdbc.instant(row, "last_used_at")),
        Optional.ofNullable(Jdbc.instant(row, "revoked_at")));
  }
}
