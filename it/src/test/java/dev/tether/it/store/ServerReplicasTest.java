package dev.tether.it.store;

import static dev.tether.it.support.GitopsSetup.configMap;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.agent.TetherAgent;
import dev.tether.agent.gitops.Phase;
import dev.tether.it.support.ConfigProject;
import dev.tether.it.support.TetherHarness;
import dev.tether.server.ServerSettings;
import dev.tether.server.store.DatabaseSettings;
import dev.tether.testkit.git.GitHttpServer;
import dev.tether.testkit.git.GitRepository;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.WithKubernetes;
import dev.tether.testkit.postgres.PostgresDatabase;
import dev.tether.testkit.postgres.WithPostgres;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Server replicas on one real PostgreSQL, in one JVM: each with its own data dir, ports and Git
 * mirrors, and the same secret key. What one replica learns (a configuration, a push, a revocation)
 * reaches the agents connected to the others, and a project is fetched once per poll interval.
 */
@WithKubernetes
@WithPostgres
class ServerReplicasTest {
  private final List<TetherHarness> replicas = new ArrayList<>();

  @AfterEach
  void stop() {
    replicas.forEach(TetherHarness::close);
  }

  /** Starts {@code count} replicas on {@code pg}, sharing one secret key (as operators must: see docs/operations.md). */
  private List<TetherHarness> start(Path dir, int count, PostgresDatabase pg, UnaryOperator<ServerSettings> change) throws IOException {
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    DatabaseSettings.Postgres database = new DatabaseSettings.Postgres(pg.jdbcUrl(), pg.user(), Optional.of(pg.password()));
    for (int i = 1; i <= count; i++) {
      Path replicaDir = dir.resolve("replica-" + i);
      Path data = Files.createDirectories(replicaDir.resolve("server-data"));
      Files.writeString(data.resolve("secret.key"), Base64.getEncoder().encodeToString(key) + "\n");
      Files.setPosixFilePermissions(data.resolve("secret.key"), PosixFilePermissions.fromString("rw-------"));
      replicas.add(new TetherHarness(replicaDir, settings -> change.apply(settings.withDatabase(database))));
    }
    return replicas;
  }

  private static String createAgent(TetherHarness on, String name, String configProject, Path dir) {
    JsonNode created = on.api().post("/api/v1/agents", Map.of("name", name, "config_project", configProject));
    on.writeToken(name, created.get("secret").asText());
    return created.get("token").get("id").asText();
  }

  private static int pushHook(TetherHarness to, String project, String secret) {
    return to.api().send("POST", "/api/v1/projects/" + project + "/hooks/push", "{\"ref\":\"refs/heads/main\"}".getBytes(),
        Map.of("X-Gitlab-Event", "Push Hook", "X-Gitlab-Token", secret)).status();
  }

  private static String configCommitAt(TetherHarness replica, String agent) {
    return replica.agentStatus(agent).path("config").path("commit").asText();
  }

  @Test
  @DisplayName("a configuration read on replica 1 reaches an agent connected to replica 2 within a second; revoking its token on"
      + " replica 1 closes its stream on replica 2")
  void configurationAndRevocationReachEveryReplica(@TempDir Path dir, PostgresDatabase pg) throws Exception {
    ConfigProject config = new ConfigProject(dir.resolve("repos"), "config");
    config.push("edge", "observability: { logging: { level: info } }\n");
    // Fetches only on pushes and first use: what arrives comes through a webhook and the notices.
    List<TetherHarness> r = start(dir, 2, pg, s -> s.withPollInterval(Duration.ofHours(1)));
    String secret = r.get(0).addProject("team/config", config.repo().bareDir().toString(), Map.of()).get("webhook_secret").asText();
    String tokenId = createAgent(r.get(0), "edge", "team/config", dir);
    TetherAgent agent = r.get(1).startAgent(dir.resolve("replica-1/edge.token"), Optional.empty());
    await().atMost(Duration.ofSeconds(20)).until(() -> agent.configuration().isPresent());

    String second = config.push("edge", "observability: { logging: { level: warn } }\n");
    assertThat(pushHook(r.get(0), "team/config", secret)).isEqualTo(202);
    // Replica 1 fetched, read and published it (the API shows what the store holds) ...
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10)).until(() -> configCommitAt(r.get(0), "edge").equals(second));
    long published = System.nanoTime();
    // ... and the agent's stream on replica 2 has it within a second.
    await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(10)).until(() -> agent.configuration().orElseThrow().commit().equals(second));
    Duration arrived = Duration.ofNanos(System.nanoTime() - published);
    System.out.printf("[replicas] configuration recorded on replica 1 reached the agent on replica 2 after %d ms%n", arrived.toMillis());
    assertThat(arrived).isLessThan(Duration.ofSeconds(1));
    assertThat(r.get(1).server().connections().of("edge")).hasSize(1);

    r.get(0).api().delete("/api/v1/tokens/" + tokenId);
    long revoked = System.nanoTime();
    await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(10)).until(() -> r.get(1).server().connections().of("edge").isEmpty());
    Duration closed = Duration.ofNanos(System.nanoTime() - revoked);
    System.out.printf("[replicas] token revoked on replica 1: its stream on replica 2 closed after %d ms%n", closed.toMillis());
    assertThat(closed).isLessThan(Duration.ofSeconds(1));
    // The agent tries again with its revoked token: no replica lets it back in (none kept it in a token cache).
    Thread.sleep(1500);
    assertThat(r.get(1).server().connections().of("edge")).isEmpty();
    assertThat(r.get(0).server().connections().of("edge")).isEmpty();
  }

  @Test
  @DisplayName("a push webhook sent to replica 2 syncs an agent connected to replica 3")
  void aPushToOneReplicaSyncsAnAgentOnAnother(@TempDir Path dir, KubeControlPlane plane, TestNamespace ns, KubernetesClient kube,
      PostgresDatabase pg) throws Exception {
    ConfigProject config = new ConfigProject(dir.resolve("repos"), "config");
    GitRepository manifests = GitRepository.create(dir.resolve("repos"), "manifests");
    manifests.write("app/a.yaml", configMap("alpha", "1"));
    String first = manifests.commitAndPush("A map");
    config.push("prod", "gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns
        + "\n      paths: [ { glob: 'app/*.yaml' } ]\n");
    List<TetherHarness> r = start(dir, 3, pg, s -> s.withPollInterval(Duration.ofHours(1)));
    r.get(0).addProject("platform/config", config.repo().bareDir().toString(), Map.of());
    String secret = r.get(0).addProject("team/app", manifests.bareDir().toString(), Map.of()).get("webhook_secret").asText();
    createAgent(r.get(0), "prod", "platform/config", dir);
    TetherAgent agent = r.get(2).startAgent(dir.resolve("replica-1/prod.token"), Optional.of(plane.kubeconfig()));
    awaitSync(agent, first);
    assertThat(kube.configMaps().withName("alpha").get().getData()).containsEntry("value", "1");

    manifests.write("app/a.yaml", configMap("alpha", "2"));
    String second = manifests.commitAndPush("Change the map");
    long pushed = System.nanoTime();
    assertThat(pushHook(r.get(1), "team/app", secret)).isEqualTo(202);
    awaitSync(agent, second);
    System.out.printf("[replicas] push webhook to replica 2: the agent on replica 3 synced the commit after %d ms%n",
        (System.nanoTime() - pushed) / 1_000_000);
    assertThat(agent.gitops().outcome("team/app").orElseThrow().phase()).isEqualTo(Phase.SYNCED);
    assertThat(kube.configMaps().withName("alpha").get().getData()).containsEntry("value", "2");
  }

  private static void awaitSync(TetherAgent agent, String commit) {
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() ->
        agent.gitops().outcome("team/app").map(o -> o.commit().equals(commit) && o.phase() != Phase.SYNCING).orElse(false));
  }

  @Test
  @DisplayName("three replicas fetch a project once per poll interval between them, and go on when two of them stop")
  void aProjectIsFetchedOncePerPollIntervalAcrossReplicas(@TempDir Path dir, PostgresDatabase pg) throws Exception {
    ConfigProject config = new ConfigProject(dir.resolve("repos"), "config");
    Duration interval = Duration.ofMillis(600);
    try (GitHttpServer git = GitHttpServer.serve(dir.resolve("repos"), "reader", "s3cret")) {
      List<TetherHarness> r = start(dir, 3, pg, s -> s.withPollInterval(interval));
      // The credentials are sealed by replica 1 and opened by every replica: they share the secret key.
      r.get(0).addProject("team/config", git.url(config.repo()), Map.of("username", "reader", "password", "s3cret"));
      createAgent(r.get(0), "idle", "team/config", dir); // its config project is kept fetched
      await().atMost(Duration.ofSeconds(20)).until(() -> git.fetchCount() > 0);
      Thread.sleep(2 * interval.toMillis()); // first fetches (each replica's own, unclaimed) are over

      int before = git.fetchCount();
      Thread.sleep(6_000);
      int fetches = git.fetchCount() - before;
      System.out.printf("[replicas] %d fetches in 6 s by 3 replicas polling every %d ms%n", fetches, interval.toMillis());
      // One replica per interval: about 6 s / 0.6 s = 10; three replicas polling each would make 15 to 30.
      assertThat(fetches).as("fetches in 6 s by 3 replicas polling every %s", interval).isBetween(5, 12);
      for (TetherHarness replica : r) {
        assertThat(replica.agentStatus("idle").path("config").path("state").asText()).isEqualTo("valid");
      }

      // Replicas 1 and 2 stop: replica 3 polls on its own, once per interval.
      r.get(0).stopServer();
      r.get(1).stopServer();
      int afterStop = git.fetchCount();
      Thread.sleep(3_000);
      System.out.printf("[replicas] %d fetches in 3 s by the one replica left%n", git.fetchCount() - afterStop);
      assertThat(git.fetchCount() - afterStop).as("fetches in 3 s by the one replica left").isBetween(2, 6);
    }
  }

  @Test
  @DisplayName("a push to one of three replicas makes each replica fetch once, and nothing more")
  void aPushIsFetchedOncePerReplica(@TempDir Path dir, PostgresDatabase pg) throws Exception {
    ConfigProject config = new ConfigProject(dir.resolve("repos"), "config");
    config.push("idle", "observability: { logging: { level: info } }\n");
    try (GitHttpServer git = GitHttpServer.serve(dir.resolve("repos"), "reader", "s3cret")) {
      List<TetherHarness> r = start(dir, 3, pg, s -> s.withPollInterval(Duration.ofHours(1)));
      String secret = r.get(0).addProject("team/config", git.url(config.repo()), Map.of("username", "reader", "password", "s3cret"))
          .get("webhook_secret").asText();
      createAgent(r.get(0), "idle", "team/config", dir);
      // First fetches (the replica that created the agent, the one that claimed the first poll, the others on a notice,
      // one more where a notice came during a fetch), then all is quiet for an hour.
      await().atMost(Duration.ofSeconds(20)).until(() -> git.fetchCount() >= 3);
      Thread.sleep(1_500);
      int settled = git.fetchCount();
      assertThat(settled).as("first fetches of 3 replicas").isBetween(3, 5);

      String second = config.push("idle", "observability: { logging: { level: warn } }\n");
      assertThat(pushHook(r.get(1), "team/config", secret)).isEqualTo(202);
      await().atMost(Duration.ofSeconds(10)).until(() -> git.fetchCount() - settled >= 3);
      Thread.sleep(1_500);
      // Replica 2 fetched on the webhook; replicas 1 and 3 on its notice; their fetches found nothing new to announce.
      assertThat(git.fetchCount() - settled).isEqualTo(3);
      for (TetherHarness replica : r) {
        assertThat(configCommitAt(replica, "idle")).isEqualTo(second);
      }
    }
  }
}
