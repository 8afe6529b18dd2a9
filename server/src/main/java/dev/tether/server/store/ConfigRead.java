package dev.tether.server.store;

import dev.tether.common.config.ConfigError;
import java.util.List;

/** What the server found reading one agent's config file at a commit: a valid file, or its errors. */
public sealed interface ConfigRead permits ConfigRead.Valid, ConfigRead.Invalid {
  String agentName();

  String commit();

  /** A valid file: it becomes the agent's configuration. */
  record Valid(String agentName, String commit, byte[] content) implements ConfigRead {}

  /** An invalid or unreadable file: recorded with its errors; the last valid one stays in use. */
  record Invalid(String agentName, String commit, List<ConfigError> errors) implements ConfigRead {}
}
