package dev.tether.server.configuration;

import dev.tether.common.config.AgentConfig;
import dev.tether.common.config.ConfigError;
import dev.tether.common.config.ConfigParser;
import dev.tether.common.config.InvalidConfigException;
import dev.tether.server.events.EventLog;
import dev.tether.server.git.FetchOutcome;
import dev.tether.server.git.ProjectMirrors;
import dev.tether.server.git.GitPoller;
import dev.tether.server.git.RepositoryFileException;
import dev.tether.server.store.Agent;
import dev.tether.server.store.ConfigState;
import dev.tether.server.store.GitopsStateStore;
import dev.tether.server.store.Project;
import dev.tether.server.store.Store;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After each fetch of a config project, reads the config file of every agent that uses it,
 * validates it, records the result, and publishes valid changes to the agents. An invalid file is
 * recorded with its errors and never replaces the last valid configuration.
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

  /** Publishes the last valid configurations the store remembers, so agents get them before the first fetch. */
  public void restore() {
    for (Agent agent : store.agents().list()) {
      Optional<ConfigState.ValidConfig> valid = store.configStates().find(agent.name()).flatMap(ConfigState::lastValid);
      if (valid.isEmpty()) {
        continue;
      }
      String file = AgentConfigFiles.path(agent.name());
      try {
        hub.publish(new ConfigurationUpdate(agent.name(), valid.get().commit(), agent.configProjectId(), file,
            valid.get().content(), ConfigParser.parse(agent.name(), file, valid.get().content())));
      } catch (InvalidConfigException e) {
        log.warn("Agent '{}': the stored configuration at {} is not valid for this version; waiting for the next fetch:\n{}",
            agent.name(), shortCommit(valid.get().commit()), e.getMessage());
      }
    }
  }

  @Override
  public void fetched(Project project, FetchOutcome outcome) {
    for (Agent agent : store.agents().usingConfigProject(project.id())) {
      Optional<ConfigState> state = store.configStates().find(agent.name());
      if (state.flatMap(ConfigState::observedCommit).filter(outcome.headCommit()::equals).isPresent()) {
        continue;
      }
      read(agent, project, outcome.headCommit());
    }
  }

  private void read(Agent agent, Project project, String commit) {
    String file = AgentConfigFiles.path(agent.name());
    byte[] content;
    try {
      // No file means the defaults, as for the GitLab agent.
      content = mirrors.readFile(project.id(), commit, file, AgentConfigFiles.MAX_BYTES).orElse(new byte[0]);
    } catch (RepositoryFileException e) {
      invalid(agent, commit, List.of(new ConfigError(file, 0, 0, "", e.getMessage())));
      return;
    }
    AgentConfig config;
    try {
      config = ConfigParser.parse(agent.name(), file, content);
    } catch (InvalidConfigException e) {
      invalid(agent, commit, e.errors());
      return;
    }
    store.configStates().recordValid(agent.name(), commit, content, clock.instant());
    hub.publish(new ConfigurationUpdate(agent.name(), commit, project.id(), file, content, config));
    // A manifest project that left the configuration is no longer synced: its last report would mislead.
    store.gitops().retainOnly(agent.name(), config.gitops().manifestProjects().stream()
        .map(p -> new GitopsStateStore.Entry(p.id(), p.inventoryIdFor(agent.name()))).collect(Collectors.toSet()));
    validReads.increment();
    log.info("Agent '{}': configuration {} at {} of project '{}' is valid", agent.name(), file, shortCommit(commit), project.id());
    events.info("config", agent.name(), project.id(), "Configuration " + file + " at " + shortCommit(commit) + " is valid and in use");
  }

  private void invalid(Agent agent, String commit, List<ConfigError> errors) {
    store.configStates().recordInvalid(agent.name(), Optional.of(commit), errors, clock.instant());
    invalidReads.increment();
    events.warning("config", agent.name(), agent.configProjectId(), "Configuration at " + shortCommit(commit)
        + " is invalid; the agent keeps the last valid one: " + errors.stream().map(ConfigError::toString)
        .collect(Collectors.joining("; ")));
    log.warn("Agent '{}': configuration at {} is invalid, keeping the last valid one:\n  {}", agent.name(), shortCommit(commit),
        errors.stream().map(ConfigError::toString).collect(Collectors.joining("\n  ")));
  }

  static String shortCommit(String commit) {
    return commit.length() > 12 ? commit.substring(0, 12) : commit;
  }
}
