package dev.tether.server.git;

/** What a successful fetch saw: the branch the project reads by default and the commit at its tip. */
public record FetchOutcome(String projectId, String defaultBranch, String headCommit) {}
