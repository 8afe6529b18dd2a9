package dev.tether.server.store;

import dev.tether.server.git.GitCredentials;
import dev.tether.server.secrets.SecretBox;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

final class JdbcProjectStore implements ProjectStore {
  private final Jdbc jdbc;
  private final SecretBox secrets;
  private final SealedCredentials credentials;

  JdbcProjectStore(Jdbc jdbc, SecretBox secrets) {
    this.jdbc = jdbc;
    this.secrets = secrets;
    this.credentials = new SealedCredentials(secrets, "project");
  }

  @Override
  public void add(Project p) {
    String credentials = p.credentials() instanceof GitCredentials.None ? null : this.credentials.seal(p.credentials().toMap());
    try {
      jdbc.update("insert into projects (id, url, credentials, webhook_secret, default_branch, created_at) values (?, ?, ?, ?, ?, ?)",
          p.id(), p.url(), credentials, secrets.seal(p.webhookSecret()), p.defaultBranch().orElse(null), p.createdAt());
    } catch (Jdbc.DuplicateKeyException e) {
      throw new AlreadyExistsException("project '" + p.id() + "' exists already");
    }
  }

  @Override
  public Optional<Project> find(String id) {
    return jdbc.queryOne("select * from projects where id = ?", this::project, id);
  }

  @Override
  public List<Project> list() {
    return jdbc.query("select * from projects order by id", this::project);
  }

  @Override
  public void recordFetch(ProjectFetch f) {
    Object[] values = {f.attemptedAt(), f.succeededAt().orElse(null), f.error().orElse(null),
        f.defaultBranch().orElse(null), f.headCommit().orElse(null), f.projectId()};
    int updated = f.error().isPresent()
        // A failed fetch keeps what the last good one saw.
        ? jdbc.update("update project_fetches set attempted_at = ?, error = ? where project_id = ?",
            f.attemptedAt(), f.error().get(), f.projectId())
        : jdbc.update("update project_fetches set attempted_at = ?, succeeded_at = ?, error = ?, default_branch = ?, head_commit = ? where project_id = ?", values);
    if (updated == 0) {
      try {
        jdbc.update("insert into project_fetches (attempted_at, succeeded_at, error, default_branch, head_commit, project_id) values (?, ?, ?, ?, ?, ?)", values);
      } catch (Jdbc.DuplicateKeyException raced) {
        recordFetch(f);
      }
    }
  }

  @Override
  public Optional<ProjectFetch> lastFetch(String projectId) {
    return jdbc.queryOne("select * from project_fetches where project_id = ?", row -> new ProjectFetch(
        row.getString("project_id"), Jdbc.instant(row, "attempted_at"),
        Optional.ofNullable(Jdbc.instant(row, "succeeded_at")), Optional.ofNullable(row.getString("error")),
        Optional.ofNullable(row.getString("default_branch")), Optional.ofNullable(row.getString("head_commit"))), projectId);
  }

  private Project project(ResultSet row) throws SQLException {
    String sealed = row.getString("credentials");
    GitCredentials credentials = sealed == null ? new GitCredentials.None() : GitCredentials.fromMap(this.credentials.open(sealed));
    return new Project(row.getString("id"), row.getString("url"), credentials, secrets.open(row.getString("webhook_secret")),
        Optional.ofNullable(row.getString("default_branch")), Jdbc.instant(row, "created_at"));
  }
}
