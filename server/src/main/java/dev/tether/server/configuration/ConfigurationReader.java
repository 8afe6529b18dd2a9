package dev.tether.server.configuration;

import dev.tether.common.config.AgentConfig;
import dev.tether.common.config.ConfigError;
import dev.tether.common.config.ConfigParser;
import dev.tether.common.config.InvalidConfigException;
import dev.tether.server.events.EventLog;
import dev.tether.server.git.FetchOutcome;
import dev.tether.server.git.GitPoller;
import dev.tether.server.git.ProjectMirrors;
import dev.tether.server.git.RepositoryFileException;
import dev.tether.server.store.Agent;
import dev.tether.server.store.ConfigRead;
import dev.tether.server.store.ConfigState;
import dev.tether.server.store.GitopsStateStore;
import dev.tether.server.store.Project;
import dev.tether.server.store.Store;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After each fetch of a config project, reads the config file of every agent that uses it,
 * validates it, records the result, and publishes valid changes to the agents. An invalid file is
 * recorded with its errors and never replaces the last valid configuration.
 *
 * <p>A config project may hold the files of thousands of agents, and one commit may change them all.
 * So a commit is handled as one batch: one walk of the tree for every file, one transaction for every
 * result, one log line and one event (see {@link ConfigurationReadSummary}); only parsing and publishing
 * are per agent.
 */
public final class ConfigurationReader implements GitPoller.Listener {
  private static final Logger log = LoggerFactory.getLogger(ConfigurationReader.class);

  private final Store store;
  private final ProjectMirrors mirrors;
  private final ConfigurationFanOut hub;
  private final Clock clock;
  private final EventLog events;
  private final Counter validReads;
  private final Counter invalidReads;
  // The commit whose file was last read for each agent, as the store has it: a fetch that found no new
  // commit (most of them) is then answered without a query per agent. Keyed by the agent's creation too:
  // an agent deleted and created again under its name has no state yet.
  private final Map<Registration, String> observedCommits = new ConcurrentHashMap<>();

  private record Registration(String agentName, java.time.Instant createdAt) {
    static Registration of(Agent agent) {
      return new Registration(agent.name(), agent.createdAt());
    }
  }

  public ConfigurationReader(Store store, ProjectMirrors mirrors, ConfigurationFanOut hub, Clock clock, EventLog events,
      MeterRegistry meters) {
    this.store = store;
    this.mirrors = mirrors;
    this.hub = hub;
    this.clock = clock;
    this.events = events;
    this.validReads = readCounter(meters, "valid");
    this.invalidReads = readCounter(meters, "invalid");
  }

  private static Counter readCounter(MeterRegistry meters, String result) {
    return Counter.builder("tether.config.reads").description("Agent config files read after a change of their project, by result")
        .tag("result", result).register(meters);
  }

  /** Config projects to keep fetched: those of registered agents. */
  public Set<String> configProjects() {
    return store.agents().list().stream().map(Agent::configProjectId).collect(Collectors.toSet());
  }

  /**
   * Publishes the last valid configurations the store remembers, so agents get them before the first
   * fetch: every state in one query, as a restart of a server with thousands of agents must be quick.
   */
  public void restore() {
    Map<String, Agent> agents = store.agents().list().stream().collect(Collectors.toMap(Agent::name, Function.identity()));
    int restored = 0;
    for (ConfigState state : store.configStates().loadAll()) {
      Agent agent = agents.get(state.agentName());
      if (agent == null) {
        continue;
      }
      state.observedCommit().ifPresent(commit -> observedCommits.put(Registration.of(agent), commit));
      Optional<ConfigState.ValidConfig> valid = state.lastValid();
      if (valid.isEmpty()) {
        continue;
      }
      String file = AgentConfigFiles.path(agent.name());
      try {
        hub.publish(new ConfigurationUpdate(agent.name(), valid.get().commit(), agent.configProjectId(), file,
            valid.get().content(), ConfigParser.parse(agent.name(), file, valid.get().content())));
        restored++;
      } catch (InvalidConfigException e) {
        log.warn("Agent '{}': the stored configuration at {} is not valid for this version; waiting for the next fetch:\n{}",
            agent.name(), shortCommit(valid.get().commit()), e.getMessage());
      }
    }
    log.info("Restored the last valid configuration of {} agents", restored);
  }

  @Override
  public void fetched(Project project, FetchOutcome outcome) {
    String commit = outcome.headCommit();
    List<Agent> users = store.agents().usingConfigProject(project.id());
    if (users.stream().allMatch(agent -> commit.equals(observedCommits.get(Registration.of(agent))))) {
      return;
    }
    // Another replica (or this one before a restart) may have read some of them at this commit already.
    Map<String, String> stored = store.configStates().loadAll().stream().filter(s -> s.observedCommit().isPresent())
        .collect(Collectors.toMap(ConfigState::agentName, s -> s.observedCommit().get()));
    List<Agent> toRead = new ArrayList<>();
    for (Agent agent : users) {
      if (commit.equals(stored.get(agent.name()))) {
        observedCommits.put(Registration.of(agent), commit);
      } else {
        toRead.add(agent);
      }
    }
    if (!toRead.isEmpty()) {
      read(project, commit, toRead);
    }
  }

  private void read(Project project, String commit, List<Agent> agents) {
    ProjectMirrors.FileReads files;
    try {
      files = mirrors.readFiles(project.id(), commit, agents.stream().map(a -> AgentConfigFiles.path(a.name())).toList(),
          AgentConfigFiles.MAX_BYTES);
    } catch (RepositoryFileException e) {
      // Every file is unreadable alike: each agent keeps its last valid configuration and says why.
      files = new ProjectMirrors.FileReads(Map.of(), agents.stream().collect(Collectors.toMap(a -> AgentConfigFiles.path(a.name()),
          a -> e.getMessage())));
    }
    List<ConfigRead> reads = new ArrayList<>(agents.size());
    List<ConfigurationUpdate> valid = new ArrayList<>();
    ConfigurationReadSummary summary = new ConfigurationReadSummary(project.id(), commit);
    for (Agent agent : agents) {
      String file = AgentConfigFiles.path(agent.name());
      if (files.refused().containsKey(file)) {
        List<ConfigError> errors = List.of(new ConfigError(file, 0, 0, "", files.refused().get(file)));
        reads.add(new ConfigRead.Invalid(agent.name(), commit, errors));
        summary.invalid(agent.name(), errors);
        continue;
      }
      // No file means the defaults, as for the GitLab agent.
      byte[] content = files.found().getOrDefault(file, new byte[0]);
      try {
        AgentConfig config = ConfigParser.parse(agent.name(), file, content);
        reads.add(new ConfigRead.Valid(agent.name(), commit, content));
        valid.add(new ConfigurationUpdate(agent.name(), commit, project.id(), file, content, config));
      } catch (InvalidConfigException e) {
        reads.add(new ConfigRead.Invalid(agent.name(), commit, e.errors()));
        summary.invalid(agent.name(), e.errors());
      }
    }
    store.configStates().recordAll(reads, clock.instant());
    for (ConfigurationUpdate update : valid) {
      Optional<ConfigurationUpdate> previous = hub.current(update.agentName());
      hub.publish(update);
      summary.valid(update.agentName(), previous.filter(update::sameFileAs).isEmpty());
      retainReportsOfConfiguredEntries(update, previous);
    }
    agents.forEach(agent -> observedCommits.put(Registration.of(agent), commit));
    validReads.increment(valid.size());
    invalidReads.increment(reads.size() - valid.size());
    summary.report(log, events);
  }

  /**
   * A manifest project that left the configuration is no longer synced: its last report would mislead.
   * Only a configuration whose entries differ from the previous one can have dropped one.
   */
  private void retainReportsOfConfiguredEntries(ConfigurationUpdate update, Optional<ConfigurationUpdate> previous) {
    Set<GitopsStateStore.Entry> entries = entries(update);
    if (previous.isPresent() && entries(previous.get()).equals(entries)) {
      return;
    }
    store.gitops().retainOnly(update.agentName(), entries);
  }

  private static Set<GitopsStateStore.Entry> entries(ConfigurationUpdate update) {
    return update.config().gitops().manifestProjects().stream()
        .map(p -> new GitopsStateStore.Entry(p.id(), p.inventoryIdFor(update.agentName()))).collect(Collectors.toSet());
  }

  static String shortCommit(String commit) {
    return commit.length() > 12 ? commit.substring(0, 12) : commit;
  }
}
