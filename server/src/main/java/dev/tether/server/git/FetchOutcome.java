package dev.tether.server.git;

/**
 * What a successful fetch saw: the branch the project reads by default, the commit at its tip, and a
 * digest of every branch and tag (equal digests: the mirror holds the same refs).
 */
public record FetchOutcome(String projectId, String defaultBranch, String headCommit, String refsDigest) {

  /** When the other refs do not matter: the head commit stands for them. */
  public FetchOutcome(String projectId, String defaultBranch, String headCommit) {
    this(projectId, defaultBranch, headCommit, headCommit);
  }
}
