package dev.tether.server.store;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

final class JdbcAccessTokenStore implements AccessTokenStore {
  private final Jdbc jdbc;

  JdbcAccessTokenStore(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public void add(AccessToken t, String digest) {
    jdbc.update("insert into access_tokens (id, kind, project_id, environment, user_name, projects, groups_list, digest, description, "
            + "created_at, expires_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        t.id(), t.kind(), t.projectId().orElse(null), t.environment().orElse(null), t.userName().orElse(null), String.join("\n", t.projects()),
        String.join("\n", t.groups()), digest, t.description(), t.createdAt(), t.expiresAt().orElse(null));
  }

  @Override
  public Optional<AccessToken> findByDigest(String digest) {
    return jdbc.queryOne("select * from access_tokens where digest = ?", JdbcAccessTokenStore::token, digest);
  }

  @Override
  public Optional<AccessToken> find(String id) {
    return jdbc.queryOne("select * from access_tokens where id = ?", JdbcAccessTokenStore::token, id);
  }

  @Override
  public List<AccessToken> list() {
    return jdbc.query("select * from access_tokens order by created_at, id", JdbcAccessTokenStore::token);
  }

  @Override
  public boolean revoke(String id, Instant at) {
    return jdbc.update("update access_tokens set revoked_at = ? where id = ? and revoked_at is null", at, id) == 1;
  }

  @Override
  public void markUsed(String id, Instant at) {
    jdbc.update("update access_tokens set last_used_at = ? where id = ?", at, id);
  }

  private static AccessToken token(ResultSet row) throws SQLException {
    return new AccessToken(row.getString("id"), row.getString("kind"), Optional.ofNullable(row.getString("project_id")),
        Optional.ofNullable(row.getString("environment")), Optional.ofNullable(row.getString("user_name")), lines(row.getString("projects")), lines(row.getString("groups_list")),
        row.getString("description"), Jdbc.instant(row, "created_at"), Optional.ofNullable(Jdbc.instant(row, "expires_at")),
        Optional.ofNullable(Jdbc.instant(row, "last_used_at")), Optional.ofNullable(Jdbc.instant(row, "revoked_at")));
  }

  private static List<String> lines(String text) {
    return text == null || text.isEmpty() ? List.of() : Arrays.asList(text.split("\n"));
  }
}
