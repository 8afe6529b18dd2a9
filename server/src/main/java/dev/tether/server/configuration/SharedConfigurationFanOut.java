package dev.tether.server.configuration;

import dev.tether.common.config.ConfigParser;
import dev.tether.common.config.InvalidConfigException;
import dev.tether.server.store.Agent;
import dev.tether.server.store.AgentStore;
import dev.tether.server.store.ChangeNotices;
import dev.tether.server.store.ConfigState;
import dev.tether.server.store.ConfigStateStore;
import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The configuration fan-out of server replicas sharing one PostgreSQL database. The store is the
 * truth: {@link #publish} expects the configuration recorded there already (as {@link ConfigurationReader}
 * does), delivers what the store holds to this replica's streams and sends a notice with the agent's
 * name; every other replica then reads the agent's configuration from the store and delivers it to
 * the streams it holds.
 *
 * <p>Order: per agent, reading the store and delivering happen under one lock, and the store only
 * moves forward, so streams never get an older configuration after a newer one, however notices and
 * local publishes interleave. A replica that missed notices re-reads every configuration.
 */
public final class SharedConfigurationFanOut implements ConfigurationFanOut, ChangeNotices.Subscriber, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SharedConfigurationFanOut.class);
  static final String TOPIC = "configuration";

  private final ConfigurationHub local = new ConfigurationHub();
  private final AgentStore agents;
  private final ConfigStateStore states;
  private final ChangeNotices notices;
  private final Map<String, Object> locks = new ConcurrentHashMap<>();
  private final ReadWriteLock everyAgent = new ReentrantReadWriteLock();
  // Store reads and parsing stay off the notice thread; one thread keeps the notices' order.
  private final ExecutorService rereads = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "configuration-notices");
    t.setDaemon(true);
    return t;
  });

  /** Subscribes to the notices and reads every stored configuration, so a restore finds them known and sends no notices. */
  public SharedConfigurationFanOut(AgentStore agents, ConfigStateStore states, ChangeNotices notices) {
    this.agents = agents;
    this.states = states;
    this.notices = notices;
    notices.subscribe(TOPIC, this);
    rereadAll();
  }

  @Override
  public Optional<ConfigurationUpdate> current(String agentName) {
    return local.current(agentName);
  }

  @Override
  public Collection<ConfigurationUpdate> all() {
    return local.all();
  }

  @Override
  public void publish(ConfigurationUpdate update) {
    if (deliver(update.agentName(), Optional.of(update))) {
      notices.publish(TOPIC, update.agentName());
    }
  }

  @Override
  public AutoCloseable subscribe(String agentName, String knownCommit, Consumer<ConfigurationUpdate> subscriber) {
    return local.subscribe(agentName, knownCommit, subscriber);
  }

  @Override
  public void notice(ChangeNotices.Notice notice) {
    if (notice.fromHere()) {
      return; // delivered here when published
    }
    rereads.execute(() -> reread(notice.data()));
  }

  @Override
  public void missed() {
    rereads.execute(this::rereadAll);
  }

  private void reread(String agentName) {
    deliver(agentName, Optional.empty());
  }

  /** Delivers every stored configuration the streams do not have; no single delivery runs meanwhile. */
  private void rereadAll() {
    everyAgent.writeLock().lock();
    try {
      Map<String, Agent> byName = agents.list().stream().collect(Collectors.toMap(Agent::name, a -> a));
      for (ConfigState state : states.loadAll()) {
        Agent agent = byName.get(state.agentName());
        if (agent != null && state.lastValid().isPresent() && !known(agent.name(), state.lastValid().get())) {
          Optional.ofNullable(parse(agent, state.lastValid().get())).ifPresent(local::publish);
        }
      }
    } finally {
      everyAgent.writeLock().unlock();
    }
  }

  /**
   * Delivers what the store holds for the agent now, unless the streams have it already. Reading and
   * delivering under the agent's lock is what keeps the order: each read sees the newest stored one.
   *
   * @param published the update a publisher holds, used when it is what the store holds (saves parsing it again)
   * @return whether the streams got something new
   */
  private boolean deliver(String agentName, Optional<ConfigurationUpdate> published) {
    everyAgent.readLock().lock();
    try {
      synchronized (locks.computeIfAbsent(agentName, k -> new Object())) {
        Optional<ConfigurationUpdate> known = local.current(agentName);
        if (published.isPresent() && known.isPresent() && published.get().sameAs(known.get())) {
          // Delivered already (a restore at start, a second read of one commit): nothing to read or send.
          return false;
        }
        Optional<ConfigState.ValidConfig> stored = states.find(agentName).flatMap(ConfigState::lastValid);
        if (stored.isEmpty()) {
          published.ifPresent(update -> log.warn("Agent '{}': configuration {} was published before it was stored; it reaches"
              + " no stream", agentName, update.commit()));
          return false;
        }
        if (known(agentName, stored.get())) {
          return false;
        }
        ConfigurationUpdate update = published.filter(p -> matches(p, stored.get())).orElseGet(() -> parse(agentName, stored.get()));
        if (update == null) {
          return false;
        }
        local.publish(update);
        return true;
      }
    } finally {
      everyAgent.readLock().unlock();
    }
  }

  private boolean known(String agentName, ConfigState.ValidConfig stored) {
    return local.current(agentName).filter(update -> matches(update, stored)).isPresent();
  }

  private static boolean matches(ConfigurationUpdate update, ConfigState.ValidConfig stored) {
    return update.commit().equals(stored.commit()) && Arrays.equals(update.content(), stored.content());
  }

  private ConfigurationUpdate parse(String agentName, ConfigState.ValidConfig valid) {
    return agents.find(agentName).map(agent -> parse(agent, valid)).orElse(null);
  }

  private static ConfigurationUpdate parse(Agent agent, ConfigState.ValidConfig valid) {
    String file = AgentConfigFiles.path(agent.name());
    try {
      return new ConfigurationUpdate(agent.name(), valid.commit(), agent.configProjectId(), file, valid.content(),
          ConfigParser.parse(agent.name(), file, valid.content()));
    } catch (InvalidConfigException e) {
      log.warn("Agent '{}': the stored configuration at {} is not valid for this server's version; its streams keep the one they have:\n{}",
          agent.name(), ConfigurationReader.shortCommit(valid.commit()), e.getMessage());
      return null;
    }
  }

  @Override
  public void close() {
    rereads.shutdownNow();
    try {
      rereads.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
