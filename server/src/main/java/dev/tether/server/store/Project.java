package dev.tether.server.store;

import dev.tether.server.git.GitCredentials;
import java.time.Instant;
import java.util.Optional;

/**
 * A Git repository the server reads: an agent's config project or a manifest project.
 *
 * @param defaultBranch the branch to read when a ref names none; empty to follow the remote's HEAD
 */
public record Project(String id, String url, GitCredentials credentials, String webhookSecret,
    Optional<String> defaultBranch, Instant createdAt) {

  @Override
  public String toString() {
    return "Project[" + id + " at " + url + ", credentials " + credentials.describe() + "]";
  }
}
