package dev.tether.server.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A credential for the Kubernetes API proxy, without its secret.
 *
 * @param kind {@code ci} (stands for {@code projectId}) or {@code user} (a person, member of {@code projects}, in {@code groups})
 * @param environment for CI tokens, the environment the project's jobs that use it deploy to, if one was named: an agent's
 *     {@code ci_access} entry with {@code environments} lets in only tokens of those environments
 */
public record AccessToken(String id, String kind, Optional<String> projectId, Optional<String> environment, Optional<String> userName,
    List<String> projects,
    List<String> groups, String description, Instant createdAt, Optional<Instant> expiresAt, Optional<Instant> lastUsedAt,
    Optional<Instant> revokedAt) {

  public boolean isCi() {
    return kind.equals("ci");
  }

  /** "ci project group/app" or "user alice": who a request comes from, for messages and logs. */
  public String caller() {
    return isCi() ? "ci project " + projectId.orElse("?") + environment.map(e -> " (environment " + e + ")").orElse("")
        : "user " + userName.orElse("?");
  }
}
