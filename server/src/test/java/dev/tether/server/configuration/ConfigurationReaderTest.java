package dev.tether.server.configuration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.events.EventLog;
import dev.tether.server.git.FetchOutcome;
import dev.tether.server.git.GitUrlPolicy;
import dev.tether.server.git.ProjectMirrors;
import dev.tether.server.secrets.SecretBox;
import dev.tether.server.store.Agent;
import dev.tether.server.store.ConfigState;
import dev.tether.server.store.Database;
import dev.tether.server.store.EventStore;
import dev.tether.server.store.Project;
import dev.tether.server.store.Store;
import dev.tether.server.git.GitCredentials;
import dev.tether.testkit.git.GitRepository;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reader on real parts (a Git repository, the server's mirrors, the embedded database): a commit
 * that changes the files of many agents is read as one batch and told as one event; invalid and
 * unreadable files keep the last valid configuration; a restart restores every configuration.
 */
class ConfigurationReaderTest {
  private static final String PROJECT = "fleet/config";
  private static final int AGENTS = 60;

  @TempDir Path dir;
  private Database db;
  private Store store;
  private ProjectMirrors mirrors;
  private GitRepository repo;
  private Project project;
  private final List<String> names = IntStream.range(0, AGENTS).mapToObj(i -> String.format("agent-%02d", i)).toList();

  @BeforeEach
  void setUp() {
    db = Database.openEmbedded(dir.resolve("data"));
    store = Store.jdbc(db.dataSource(), SecretBox.fromKeyFile(dir.resolve("secret.key")));
    mirrors = new ProjectMirrors(dir.resolve("mirrors"), Duration.ofSeconds(30), GitUrlPolicy.of(List.of(), true));
    repo = GitRepository.create(dir.resolve("repos"), "config");
    project = new Project(PROJECT, repo.bareDir().toString(), new GitCredentials.None(), "hook", Optional.empty(), Instant.now());
    store.projects().add(project);
    names.forEach(n -> store.agents().create(new Agent(n, PROJECT, Instant.now(), Optional.empty())));
  }

  @AfterEach
  void tearDown() {
    mirrors.close();
    db.close();
  }

  @Test
  void aCommitForManyAgentsIsReadAsOneBatchAndToldAsOneEvent() throws Exception {
    ConfigurationHub hub = new ConfigurationHub();
    ConfigurationReader reader = reader(hub);
    names.forEach(n -> write(n, "info"));
    fetched(reader, repo.commitAndPush("a file per agent"));
    assertThat(hub.all()).hasSize(AGENTS);

    names.stream().filter(n -> !n.equals("agent-08")).forEach(n -> write(n, "debug"));
    // Two agents get a file they cannot use: an unknown key, and a directory where the file belongs.
    repo.write(AgentConfigFiles.path("agent-07"), "observability:\n  logging:\n    levle: debug\n");
    repo.delete(AgentConfigFiles.path("agent-08")).write(AgentConfigFiles.path("agent-08") + "/oops.yaml", "x: 1\n");
    String commit = repo.commitAndPush("every agent logs at debug");
    long eventsBefore = events().size();
    fetched(reader, commit);

    assertThat(hub.current("agent-00").orElseThrow().commit()).isEqualTo(commit);
    assertThat(hub.current("agent-59").orElseThrow().config().observability().loggingLevel()).isEqualTo(dev.tether.common.config.Observability.LogLevel.DEBUG);
    assertThat(hub.current("agent-07").orElseThrow().commit()).as("an invalid file keeps the last valid one").isNotEqualTo(commit);
    ConfigState refused = store.configStates().find("agent-08").orElseThrow();
    assertThat(refused.valid()).isFalse();
    assertThat(refused.errors().get(0).message()).contains("is not a file (it is a directory)");
    assertThat(store.configStates().find("agent-07").orElseThrow().observedCommit()).contains(commit);

    List<EventStore.Event> told = events().subList(0, events().size() - (int) eventsBefore);
    assertThat(told).as("one event for the valid files, one for the invalid ones").hasSize(2);
    assertThat(told).anySatisfy(e -> {
      assertThat(e.severity()).isEqualTo("info");
      assertThat(e.agentName()).isEmpty();
      assertThat(e.projectId()).contains(PROJECT);
      assertThat(e.message()).contains("valid and in use for 58 agents", "changed the configuration of 58", "agent-00", "and 48 more");
    });
    assertThat(told).anySatisfy(e -> {
      assertThat(e.severity()).isEqualTo("warning");
      assertThat(e.message()).contains("invalid for 2 agents", "agent-07", "agent-08");
    });

    // The same commit again (the next poll): nothing is read or told.
    fetched(reader, commit);
    assertThat(events()).hasSize(told.size() + (int) eventsBefore);
  }

  @Test
  void aCommitThatChangesOneAgentIsToldInThatAgentsFeedAndOneThatChangesNoneIsNotTold() throws Exception {
    ConfigurationReader reader = reader(new ConfigurationHub());
    names.forEach(n -> write(n, "info"));
    fetched(reader, repo.commitAndPush("a file per agent"));

    write("agent-03", "debug");
    String commit = repo.commitAndPush("agent-03 logs at debug");
    long before = events().size();
    fetched(reader, commit);

    List<EventStore.Event> told = events().subList(0, events().size() - (int) before);
    assertThat(told).hasSize(1);
    assertThat(told.get(0).agentName()).contains("agent-03");
    assertThat(told.get(0).message()).isEqualTo("Configuration " + AgentConfigFiles.path("agent-03") + " at " + commit.substring(0, 12)
        + " is valid and in use");

    repo.write("README.md", "The fleet's configuration\n");
    fetched(reader, repo.commitAndPush("a readme"));
    assertThat(events()).hasSize(told.size() + (int) before);
  }

  @Test
  void aRestartRestoresEveryConfigurationAndReadsNothingAgain() throws Exception {
    names.forEach(n -> write(n, "warn"));
    String commit = repo.commitAndPush("a file per agent");
    fetched(reader(new ConfigurationHub()), commit);

    ConfigurationHub afterRestart = new ConfigurationHub();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    ConfigurationReader restarted = new ConfigurationReader(store, mirrors, afterRestart, Clock.systemUTC(),
        new EventLog(store.events(), Clock.systemUTC()), meters);
    restarted.restore();
    assertThat(afterRestart.all()).hasSize(AGENTS).allSatisfy(u -> assertThat(u.commit()).isEqualTo(commit));

    fetched(restarted, commit);
    assertThat(meters.counter("tether.config.reads", "result", "valid").count()).as("already read at this commit").isZero();
  }

  private ConfigurationReader reader(ConfigurationHub hub) {
    return new ConfigurationReader(store, mirrors, hub, Clock.systemUTC(), new EventLog(store.events(), Clock.systemUTC()),
        new SimpleMeterRegistry());
  }

  private void write(String agent, String level) {
    repo.write(AgentConfigFiles.path(agent), "observability:\n  logging:\n    level: " + level + "\n");
  }

  private void fetched(ConfigurationReader reader, String commit) throws Exception {
    FetchOutcome outcome = mirrors.fetch(project);
    assertThat(outcome.headCommit()).isEqualTo(commit);
    reader.fetched(project, outcome);
  }

  private List<EventStore.Event> events() {
    return store.events().newest(Optional.empty(), Optional.of("config"), Optional.empty(), 1000);
  }
}
