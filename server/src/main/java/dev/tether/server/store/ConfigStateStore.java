package dev.tether.server.store;

import dev.tether.common.config.ConfigError;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

public interface ConfigStateStore {
  void recordValid(String agentName, String commit, byte[] content, Instant at);

  /** Records an invalid (or unreadable) file, keeping the last valid one. */
  void recordInvalid(String agentName, Optional<String> commit, List<ConfigError> errors, Instant at);

  /**
   * Records many reads at once, in one transaction, as {@link #recordValid} and {@link #recordInvalid}
   * would one by one: a commit that changes the files of thousands of agents is one write, not thousands.
   */
  void recordAll(List<ConfigRead> reads, Instant at);

  Optional<ConfigState> find(String agentName);

  /** Every agent's state, in one query: a server's start restores every configuration at once, and a replica that missed notices re-reads them all. */
  List<ConfigState> loadAll();
}
