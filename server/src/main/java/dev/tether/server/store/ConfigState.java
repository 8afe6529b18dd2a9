package dev.tether.server.store;

import dev.tether.common.config.ConfigError;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What the server last read of an agent's config file, and the last valid version of it (which is
 * what the agent runs, even while a newer commit is invalid).
 */
public record ConfigState(String agentName, Optional<String> observedCommit, Instant observedAt, boolean valid,
    List<ConfigError> errors, Optional<ValidConfig> lastValid) {

  public record ValidConfig(String commit, byte[] content, Instant at) {}
}
