package dev.tether.server.configuration;

import java.util.Collection;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The current valid configuration of each agent and the streams waiting for it. A new configuration
 * is handed to every subscriber of that agent as soon as it is published, never an older one after a
 * newer one.
 *
 * <p>Shared state: with server replicas the replica that read a configuration from Git is rarely the
 * one that holds the agent's streams. A shared implementation keeps the current configuration where
 * every replica reads it (the store), and delivers each publish to the subscribers on every replica
 * within a second, in commit order per agent; a replica that missed notices re-reads the current ones
 * ({@link SharedConfigurationFanOut}).
 */
public interface ConfigurationFanOut {
  Optional<ConfigurationUpdate> current(String agentName);

  /** The current configuration of every agent that has one. */
  Collection<ConfigurationUpdate> all();

  /** Makes {@code update} the agent's configuration; subscribers get it unless nothing changed. */
  void publish(ConfigurationUpdate update);

  /**
   * Subscribes to an agent's configuration. The current one is delivered at once unless its commit
   * is {@code knownCommit}.
   *
   * @return closing it unsubscribes
   */
  AutoCloseable subscribe(String agentName, String knownCommit, Consumer<ConfigurationUpdate> subscriber);
}
