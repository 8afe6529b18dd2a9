package dev.tether.server.configuration;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The current valid configuration of each agent and the connections waiting for it. A new
 * configuration is handed to every subscriber of that agent as soon as it is published.
 */
public final class ConfigurationHub {
  private final Map<String, ConfigurationUpdate> current = new ConcurrentHashMap<>();
  private final Map<String, Set<Consumer<ConfigurationUpdate>>> subscribers = new ConcurrentHashMap<>();
  private final Map<String, Object> locks = new ConcurrentHashMap<>();

  public Optional<ConfigurationUpdate> current(String agentName) {
    return Optional.ofNullable(current.get(agentName));
  }

  /** The current configuration of every agent that has one. */
  public java.util.Collection<ConfigurationUpdate> all() {
    return java.util.List.copyOf(current.values());
  }

  /** Makes {@code update} the agent's configuration; subscribers get it unless nothing changed. */
  public void publish(ConfigurationUpdate update) {
    // Delivery happens under the agent's lock so that a subscriber never sees an older update after a newer one.
    synchronized (lock(update.agentName())) {
      ConfigurationUpdate previous = current.put(update.agentName(), update);
      if (update.sameAs(previous)) {
        return;
      }
      for (Consumer<ConfigurationUpdate> subscriber : subscribers.getOrDefault(update.agentName(), Set.of())) {
        subscriber.accept(update);
      }
    }
  }

  /**
   * Subscribes to an agent's configuration. The current one is delivered at once unless its commit
   * is {@code knownCommit}.
   *
   * @return closing it unsubscribes
   */
  public AutoCloseable subscribe(String agentName, String knownCommit, Consumer<ConfigurationUpdate> subscriber) {
    synchronized (lock(agentName)) {
      subscribers.computeIfAbsent(agentName, k -> ConcurrentHashMap.newKeySet()).add(subscriber);
      ConfigurationUpdate now = current.get(agentName);
      if (now != null && !now.commit().equals(knownCommit)) {
        subscriber.accept(now);
      }
    }
    return () -> {
      synchronized (lock(agentName)) {
        Set<Consumer<ConfigurationUpdate>> set = subscribers.get(agentName);
        if (set != null) {
          set.remove(subscriber);
        }
      }
    };
  }

  private Object lock(String agentName) {
    return locks.computeIfAbsent(agentName, k -> new Object());
  }
}
