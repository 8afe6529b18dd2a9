package dev.tether.server.configuration;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/** The configuration fan-out of one server alone: subscribers are the streams open at this server. */
public final class ConfigurationHub implements ConfigurationFanOut {
  private final Map<String, ConfigurationUpdate> current = new ConcurrentHashMap<>();
  private final Map<String, Set<Consumer<ConfigurationUpdate>>> subscribers = new ConcurrentHashMap<>();
  private final Map<String, Object> locks = new ConcurrentHashMap<>();

  @Override
  public Optional<ConfigurationUpdate> current(String agentName) {
    return Optional.ofNullable(current.get(agentName));
  }

  @Override
  public java.util.Collection<ConfigurationUpdate> all() {
    return java.util.List.copyOf(current.values());
  }

  @Override
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

  @Override
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
