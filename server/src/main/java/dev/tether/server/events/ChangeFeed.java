package dev.tether.server.events;

import dev.tether.server.store.ChangeNotices;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * "Something about this agent changed" for whoever shows it live (the web UI's event stream): a sync
 * report arrived, an action was asked, an agent connected or left. Only the agent's name travels;
 * listeners read what they show from the API as before, so a notice never carries state.
 *
 * <p>With replicas, a report may land on any replica while a browser listens on another: changes go
 * over the database's {@link ChangeNotices} bus, gathered for {@link #GATHER_MILLIS} into one notice
 * (a sync storm of thousands of agents is a few notices, not one per report), and every replica's
 * listeners hear them, this one's included. A bus that reconnected may have lost notices: listeners
 * then hear {@link #ALL}.
 */
public final class ChangeFeed implements AutoCloseable {
  /** Heard when any agent may have changed (the bus lost notices). */
  public static final String ALL = "*";
  static final String TOPIC = "ui";
  static final long GATHER_MILLIS = 100;
  // Room left for the topic and replica id in a notice's payload.
  private static final int MAX_NAMES_BYTES = 7000;
  private static final Logger log = LoggerFactory.getLogger(ChangeFeed.class);

  private final Set<Consumer<String>> listeners = ConcurrentHashMap.newKeySet();
  private final Optional<ChangeNotices> notices;
  private final Optional<ScheduledExecutorService> gatherer;
  // Guarded by pending.
  private final Set<String> pending = new LinkedHashSet<>();

  /** @param notices the bus shared with the other replicas; empty for one server alone */
  public ChangeFeed(Optional<ChangeNotices> notices) {
    this.notices = notices;
    this.gatherer = notices.map(n -> Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "change-feed");
      t.setDaemon(true);
      return t;
    }));
    notices.ifPresent(bus -> bus.subscribe(TOPIC, new ChangeNotices.Subscriber() {
      @Override
      public void notice(ChangeNotices.Notice notice) {
        for (String agent : notice.data().split(" ")) {
          if (!agent.isEmpty()) {
            tell(agent);
          }
        }
      }

      @Override
      public void missed() {
        tell(ALL);
      }
    }));
    gatherer.ifPresent(g -> g.scheduleWithFixedDelay(this::publish, GATHER_MILLIS, GATHER_MILLIS, TimeUnit.MILLISECONDS));
  }

  /** Something the UI shows about the agent changed. Never fails and never waits on the database. */
  public void changed(String agentName) {
    if (agentName == null) {
      return;
    }
    if (notices.isEmpty()) {
      tell(agentName);
      return;
    }
    synchronized (pending) {
      pending.add(agentName);
    }
  }

  /** Hears every change until the returned handle is closed. Called on the caller's thread: keep it short. */
  public AutoCloseable listen(Consumer<String> listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  private void tell(String agentName) {
    for (Consumer<String> listener : listeners) {
      try {
        listener.accept(agentName);
      } catch (RuntimeException e) {
        log.warn("A listener of UI changes failed: {}", e.toString());
      }
    }
  }

  private void publish() {
    Set<String> batch;
    synchronized (pending) {
      if (pending.isEmpty()) {
        return;
      }
      batch = new LinkedHashSet<>(pending);
      pending.clear();
    }
    StringBuilder names = new StringBuilder();
    try {
      for (String agent : batch) {
        if (names.length() + agent.getBytes(StandardCharsets.UTF_8).length + 1 > MAX_NAMES_BYTES) {
          notices.get().publish(TOPIC, names.toString());
          names.setLength(0);
        }
        names.append(names.length() == 0 ? "" : " ").append(agent);
      }
      notices.get().publish(TOPIC, names.toString());
    } catch (RuntimeException e) {
      // Browsers on other replicas see it at their next poll or reconnect; those here are told at once.
      log.info("Cannot tell the other replicas about changes of {} agent(s): {}", batch.size(), e.getMessage());
      batch.forEach(this::tell);
    }
  }

  @Override
  public void close() {
    gatherer.ifPresent(ScheduledExecutorService::shutdownNow);
  }
}
