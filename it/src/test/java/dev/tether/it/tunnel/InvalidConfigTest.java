package dev.tether.it.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.agent.TetherAgent;
import dev.tether.it.support.ConfigProject;
import dev.tether.it.support.TetherHarness;
import dev.tether.testkit.git.GitCli;
import dev.tether.testkit.process.FreePort;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad configuration and unreachable projects: the server records what is wrong, where, and keeps
 * running; the agent keeps the last valid configuration.
 */
class InvalidConfigTest {
  private static final String FILE = ".gitlab/agents/steady/config.yaml";

  @TempDir
  static Path dir;
  static TetherHarness tether;
  static ConfigProject config;
  static TetherAgent agent;
  static String validCommit;

  @BeforeAll
  static void start() {
    config = new ConfigProject(dir.resolve("repos"), "config");
    validCommit = config.push("steady", "gitops: { manifest_projects: [ { id: team/app } ] }\n");
    tether = new TetherHarness(dir, Duration.ofMillis(300));
    tether.addProject("team/config", config.repo().bareDir().toString(), Map.of());
    agent = tether.startAgent(tether.createAgent("steady", "team/config"), Optional.empty());
    await().atMost(Duration.ofSeconds(20)).until(() -> agent.configuration().isPresent());
  }

  @AfterAll
  static void stop() {
    tether.close();
  }

  static Stream<Arguments> badFiles() {
    StringBuilder bomb = new StringBuilder("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (char c = 'b'; c <= 'j'; c++) {
      bomb.append(c).append(": &").append(c).append(" [").append(String.join(", ", java.util.Collections.nCopies(10, "*" + (char) (c - 1)))).append("]\n");
    }
    return Stream.of(
        Arguments.of("YAML that is not a mapping", "- gitops\n- ci_access\n", 1, "", "expected a mapping"),
        Arguments.of("an unknown key", "gitops:\n  manifest_projects: []\nobservabilty: {}\n", 3, "observabilty", "unknown key 'observabilty'"),
        Arguments.of("a wrong type", "gitops:\n  manifest_projects:\n    - id: team/app\n      prune: maybe\n", 4,
            "gitops.manifest_projects[0].prune", "expected true or false"),
        Arguments.of("duplicate keys", "gitops: {}\nci_access: {}\ngitops: {}\n", 3, "gitops", "duplicate key 'gitops' (first at line 1)"),
        Arguments.of("a YAML bomb", bomb.toString(), 0, "", "aliases"),
        Arguments.of("a syntax error", "gitops:\n  manifest_projects: [\n", 0, "", ""));
  }

  @ParameterizedTest(name = "{0} is reported with its place and the agent keeps its last valid config")
  @MethodSource("badFiles")
  @DisplayName("invalid config is recorded, shown by the API, and never reaches the agent")
  void invalidConfigIsReportedAndNotApplied(String what, String content, int line, String path, String message) {
    String running = agent.configuration().orElseThrow().commit();
    String bad = config.push("steady", content);

    JsonNode state = awaitObserved(bad);

    assertThat(state.get("state").asText()).isEqualTo("invalid");
    assertThat(state.get("valid_commit").asText()).isEqualTo(running);
    JsonNode error = state.get("errors").get(0);
    assertThat(error.get("file").asText()).isEqualTo(FILE);
    if (line > 0) {
      assertThat(error.get("line").asInt()).isEqualTo(line);
      assertThat(error.get("column").asInt()).isPositive();
    }
    assertThat(error.get("path").asText()).isEqualTo(path);
    assertThat(error.get("message").asText()).contains(message);
    assertThat(agent.configuration().orElseThrow().commit()).isEqualTo(running);
    assertThat(agent.session()).as("the agent stays connected").isPresent();

    String fixed = config.push("steady", "gitops: { manifest_projects: [ { id: team/app } ] }\n# fixed " + what + "\n");
    await().atMost(Duration.ofSeconds(20)).until(() -> agent.configuration().orElseThrow().commit().equals(fixed));
  }

  @Test
  @DisplayName("a 10 MB config.yaml is refused by size without being parsed")
  void tenMegabyteFile() throws Exception {
    String running = agent.configuration().orElseThrow().commit();
    config.repo().write(FILE, "#".repeat(10 * 1024 * 1024));
    String bad = config.repo().commitAndPush("A very large config");

    JsonNode state = awaitObserved(bad);

    assertThat(state.get("errors").get(0).get("message").asText()).contains("10485760 bytes; the limit is 1048576");
    assertThat(agent.configuration().orElseThrow().commit()).isEqualTo(running);
  }

  @Test
  @DisplayName("a config.yaml that is a symlink is refused: nothing outside the repository is read")
  void symlinkedConfig() throws Exception {
    String running = agent.configuration().orElseThrow().commit();
    Path file = config.repo().workDir().resolve(FILE);
    Files.delete(file);
    Files.createSymbolicLink(file, Path.of("/etc/passwd"));
    String bad = config.repo().commitAndPush("Point the config elsewhere");

    JsonNode state = awaitObserved(bad);

    assertThat(state.get("errors").get(0).get("message").asText()).contains("is a symbolic link");
    assertThat(agent.configuration().orElseThrow().commit()).isEqualTo(running);
    Files.delete(file);
    GitCli.git(config.repo().workDir(), "rm", "--quiet", "--cached", FILE);
    String fixed = config.push("steady", "gitops: { manifest_projects: [ { id: team/app } ] }\n");
    // The next test starts from the configuration the agent runs: let the fix reach it first.
    await().atMost(Duration.ofSeconds(20)).until(() -> agent.configuration().orElseThrow().commit().equals(fixed));
  }

  @Test
  @DisplayName("a config project that does not exist or cannot be reached is reported; other agents carry on")
  void unreachableProjects() {
    tether.addProject("team/missing", dir.resolve("repos/nothing-here.git").toString(), Map.of());
    tether.addProject("team/offline", "git://127.0.0.1:" + FreePort.pick() + "/config.git", Map.of());
    tether.createAgent("orphan", "team/missing");
    tether.createAgent("stranded", "team/offline");

    await().atMost(Duration.ofSeconds(20)).until(() -> tether.agentStatus("orphan").get("config").hasNonNull("fetch_error")
        && tether.agentStatus("stranded").get("config").hasNonNull("fetch_error"));
    assertThat(tether.agentStatus("orphan").get("config").get("fetch_error").asText())
        .contains("cannot fetch project 'team/missing'").contains("nothing-here.git");
    assertThat(tether.agentStatus("stranded").get("config").get("fetch_error").asText())
        .contains("cannot fetch project 'team/offline'").contains("cannot reach the Git host 127.0.0.1:");
    assertThat(tether.agentStatus("orphan").get("config").get("state").asText()).isEqualTo("pending");
    String change = config.push("steady", "gitops: { manifest_projects: [ { id: team/other } ] }\n");
    await().atMost(Duration.ofSeconds(20)).until(() -> agent.configuration().orElseThrow().commit().equals(change));
  }

  private static JsonNode awaitObserved(String commit) {
    await().atMost(Duration.ofSeconds(20)).until(() ->
        commit.equals(tether.agentStatus("steady").get("config").path("commit").asText()));
    return tether.agentStatus("steady").get("config");
  }
}
