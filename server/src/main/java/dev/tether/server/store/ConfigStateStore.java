package dev.tether.server.store;

import dev.tether.common.config.ConfigError;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

public interface ConfigStateStore {
  void recordValid(String agentName, String commit, byte[] content, Instant at);

  /** Records an invalid (or unreadable) file, keeping the last valid one. */
  void recordInvalid(String agentName, Optional<String> commit, List<ConfigError> errors, Instant at);

  Optional<ConfigState> find(String agentName);

  /** What is recorded for every agent, in one read: for a server replica that re-reads all configurations. */
  List<ConfigState> loadAll();
}
