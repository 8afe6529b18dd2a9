package dev.tether.it.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.agent.TetherAgent;
import dev.tether.agent.configuration.ReceivedConfiguration;
import dev.tether.common.config.Observability;
import dev.tether.it.support.ConfigProject;
import dev.tether.it.support.TetherHarness;
import dev.tether.testkit.git.GitDaemon;
import dev.tether.testkit.git.GitHttpServer;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.WithKubernetes;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Agents dial out over real TLS, authenticate with their tokens and receive their configuration from Git. */
@WithKubernetes
class AgentConnectionTest {
  private static final String GIT_USER = "tether-reader";
  private static final String GIT_PASSWORD = "read-only-password-for-tests";

  @TempDir
  static Path dir;
  static GitDaemon daemon;
  static GitHttpServer gitHttp;
  static ConfigProject viaDaemon;
  static ConfigProject viaHttp;
  static TetherHarness tether;

  @BeforeAll
  static void start() {
    viaDaemon = new ConfigProject(dir.resolve("repos"), "platform-config");
    viaHttp = new ConfigProject(dir.resolve("repos"), "private-config");
    daemon = GitDaemon.serve(dir.resolve("repos"));
    gitHttp = GitHttpServer.serve(dir.resolve("repos"), GIT_USER, GIT_PASSWORD);
    tether = new TetherHarness(dir, Duration.ofMillis(300));
    tether.addProject("platform/config", daemon.url(viaDaemon.repo()), Map.of());
    tether.addProject("platform/private-config", gitHttp.url(viaHttp.repo()),
        Map.of("username", GIT_USER, "password", GIT_PASSWORD));
  }

  @AfterAll
  static void stop() {
    tether.close();
    daemon.close();
    gitHttp.close();
  }

  private static ReceivedConfiguration awaitConfig(TetherAgent agent, String commit) {
    await().atMost(Duration.ofSeconds(20)).until(() -> agent.configuration().map(c -> c.commit().equals(commit)).orElse(false));
    return agent.configuration().orElseThrow();
  }

  @Test
  @DisplayName("an agent dials out over TLS with its token, reports itself, and receives its config.yaml read over git://")
  void agentConnectsAndReceivesConfiguration(KubeControlPlane plane) {
    String commit = viaDaemon.push("prod-eu", """
        observability:
          logging: { level: debug }
        gitops:
          manifest_projects:
            - id: platform/apps
              default_namespace: apps
        """);
    Path token = tether.createAgent("prod-eu", "platform/config");

    TetherAgent agent = tether.startAgent(token, Optional.of(plane.kubeconfig()));

    ReceivedConfiguration config = awaitConfig(agent, commit);
    assertThat(config.projectId()).isEqualTo("platform/config");
    assertThat(config.file()).isEqualTo(".gitlab/agents/prod-eu/config.yaml");
    assertThat(config.config().observability().loggingLevel()).isEqualTo(Observability.LogLevel.DEBUG);
    assertThat(config.config().gitops().manifestProjects()).singleElement()
        .satisfies(p -> assertThat(p.defaultNamespace()).isEqualTo("apps"));

    JsonNode status = tether.agentStatus("prod-eu");
    assertThat(status.get("connected").asBoolean()).isTrue();
    JsonNode connection = status.get("connections").get(0);
    assertThat(connection.get("id").asText()).startsWith("c-");
    assertThat(connection.get("version").asText()).isNotEmpty();
    assertThat(connection.get("cluster_version").asText()).isEqualTo(plane.binaries().kubernetesVersion());
    assertThat(connection.get("remote_address").asText()).startsWith("127.0.0.1:");
    assertThat(connection.get("last_heartbeat").asText()).isNotEmpty();
    assertThat(status.get("config").get("state").asText()).isEqualTo("valid");
    assertThat(status.get("config").get("valid_commit").asText()).isEqualTo(commit);
  }

  @Test
  @DisplayName("a private config project over HTTP with basic auth works, and a valid change reaches the agent within 1 s of the fetch")
  void privateProjectOverHttpAndChangesArrive() throws Exception {
    viaHttp.push("staging", "observability: { logging: { level: info } }\n");
    TetherAgent agent = tether.startAgent(tether.createAgent("staging", "platform/private-config"), Optional.empty());
    await().atMost(Duration.ofSeconds(20)).until(() -> agent.configuration().isPresent());

    String changed = viaHttp.push("staging", "observability: { logging: { level: warn } }\n");

    ReceivedConfiguration config = awaitConfig(agent, changed);
    assertThat(config.config().observability().loggingLevel()).isEqualTo(Observability.LogLevel.WARN);
    JsonNode fetch = tether.api().get("/api/v1/projects/platform/private-config").get("last_fetch");
    Instant fetched = Instant.parse(tether.agentStatus("staging").get("config").get("observed_at").asText());
    assertThat(Duration.between(fetched, config.receivedAt())).isLessThan(Duration.ofSeconds(1));
    assertThat(fetch.get("head_commit").asText()).isEqualTo(changed);
    assertThat(gitHttp.requestCount()).isPositive();
  }

  @Test
  @DisplayName("HTTP token credentials (GitLab, GitHub, Gitea style: the token as the password) fetch a private project")
  void tokenCredentials() {
    viaHttp.push("tokened", "observability: { logging: { level: error } }\n");
    tether.addProject("platform/token-config", gitHttp.url(viaHttp.repo()), Map.of("username", GIT_USER, "token", GIT_PASSWORD));

    TetherAgent agent = tether.startAgent(tether.createAgent("tokened", "platform/token-config"), Optional.empty());

    await().atMost(Duration.ofSeconds(20)).until(() -> agent.configuration().isPresent());
    assertThat(tether.api().get("/api/v1/projects/platform/token-config").get("credentials").asText()).isEqualTo("token as " + GIT_USER);
  }

  @Test
  @DisplayName("no config file yet means the default configuration, as for the GitLab agent")
  void missingConfigFileMeansDefaults() {
    TetherAgent agent = tether.startAgent(tether.createAgent("bare", "platform/config"), Optional.empty());

    await().atMost(Duration.ofSeconds(20)).until(() -> agent.configuration().isPresent());
    assertThat(agent.configuration().get().config().gitops().manifestProjects()).isEmpty();
    assertThat(tether.agentStatus("bare").get("config").get("state").asText()).isEqualTo("valid");
  }

  @Test
  @DisplayName("two connections of the same agent (two replicas) both get every change")
  void everyConnectionOfAnAgentGetsChanges() {
    viaDaemon.push("replicated", "observability: { logging: { level: info } }\n");
    Path token = tether.createAgent("replicated", "platform/config");
    TetherAgent first = tether.startAgent(token, Optional.empty());
    TetherAgent second = tether.startAgent(token, Optional.empty());
    await().atMost(Duration.ofSeconds(20)).until(() -> first.configuration().isPresent() && second.configuration().isPresent());

    String changed = viaDaemon.push("replicated", "observability: { logging: { level: error } }\n");

    awaitConfig(first, changed);
    awaitConfig(second, changed);
    assertThat(tether.agentStatus("replicated").get("connections")).hasSize(2);
  }

  @Test
  @DisplayName("50 agents connecting at once all get their configuration")
  void fiftyAgentsAtOnce() throws Exception {
    List<String> commits = new ArrayList<>();
    List<Path> tokens = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      viaDaemon.repo().write(".gitlab/agents/fleet-" + i + "/config.yaml",
          "gitops: { manifest_projects: [ { id: fleet/app-" + i + " } ] }\n");
    }
    String commit = viaDaemon.repo().commitAndPush("Configure the fleet");
    for (int i = 0; i < 50; i++) {
      tokens.add(tether.createAgent("fleet-" + i, "platform/config"));
    }

    ExecutorService starter = Executors.newFixedThreadPool(50);
    List<Future<TetherAgent>> started = new ArrayList<>();
    for (Path token : tokens) {
      started.add(starter.submit(() -> tether.startAgent(token, Optional.empty())));
    }
    List<TetherAgent> fleet = new ArrayList<>();
    for (Future<TetherAgent> f : started) {
      fleet.add(f.get());
    }
    starter.shutdown();

    await().atMost(Duration.ofSeconds(60)).until(() -> fleet.stream().allMatch(a -> a.configuration().isPresent()));
    for (int i = 0; i < 50; i++) {
      ReceivedConfiguration config = fleet.get(i).configuration().orElseThrow();
      assertThat(config.commit()).isEqualTo(commit);
      assertThat(config.config().gitops().manifestProjects().get(0).id()).isEqualTo("fleet/app-" + i);
    }
    JsonNode agents = tether.api().get("/api/v1/agents");
    long connectedFleet = 0;
    for (JsonNode a : agents) {
      if (a.get("name").asText().startsWith("fleet-") && a.get("connected").asBoolean()) {
        connectedFleet++;
      }
    }
    assertThat(connectedFleet).isEqualTo(50);
    commits.add(commit);
  }

  @Test
  @DisplayName("server restart: the agent reconnects by itself, gets its config at once from the store, and later changes too")
  void serverRestartAgentReconnects() throws Exception {
    String commit = viaDaemon.push("survivor", "observability: { logging: { level: info } }\n");
    TetherAgent agent = tether.startAgent(tether.createAgent("survivor", "platform/config"), Optional.empty());
    awaitConfig(agent, commit);
    String firstConnection = agent.session().orElseThrow().connectionId();

    tether.restartServer();

    await().atMost(Duration.ofSeconds(30)).until(() ->
        agent.session().map(s -> !s.connectionId().equals(firstConnection)).orElse(false));
    assertThat(agent.lastConnectionProblem()).isPresent();
    assertThat(tether.agentStatus("survivor").get("connected").asBoolean()).isTrue();
    String after = viaDaemon.push("survivor", "observability: { logging: { level: warn } }\n");
    awaitConfig(agent, after);
  }
}
