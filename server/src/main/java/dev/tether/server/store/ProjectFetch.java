package dev.tether.server.store;

import java.time.Instant;
import java.util.Optional;

/** The last fetch of a project: when it was tried, whether it worked, and what it saw. */
public record ProjectFetch(String projectId, Instant attemptedAt, Optional<Instant> succeededAt,
    Optional<String> error, Optional<String> defaultBranch, Optional<String> headCommit) {}
