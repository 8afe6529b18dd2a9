package dev.tether.it.replicas;

import static dev.tether.it.support.GitopsSetup.configMap;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.agent.AgentSettings;
import dev.tether.agent.TetherAgent;
import dev.tether.agent.gitops.Phase;
import dev.tether.agent.lease.LeaseSettings;
import dev.tether.it.support.ApiClient;
import dev.tether.it.support.CaTrust;
import dev.tether.it.support.ConfigProject;
import dev.tether.testkit.git.GitHttpServer;
import dev.tether.testkit.git.GitRepository;
import dev.tether.testkit.k8s.AuditLog;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.WithKubernetes;
import dev.tether.testkit.postgres.PostgresDatabase;
import dev.tether.testkit.postgres.PostgresServer;
import dev.tether.testkit.postgres.WithPostgres;
import dev.tether.testkit.process.ExternalCommand;
import dev.tether.testkit.replicas.ServerReplicas;
import dev.tether.testkit.replicas.TcpBalancer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three server replicas (processes) on one PostgreSQL and agents on a real control plane, connected
 * through TCP load balancers whose first choice makes the routing certain: agent east and the leading
 * replica of agent west on replica 1, west's other replica on replica 2, nothing on replica 3. The
 * tests run in order: routing, then revocation, then replica 1 is killed. (Streams that switch
 * protocols across replicas: {@code ServerReplicasStreamsTest}.)
 */
@WithPostgres
@WithKubernetes
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServerReplicasRoutingTest {
  private static final String WEST_NAMESPACE = "replicas-west";
  private static final String WEST_LEASE = "tether-agent-west";
  private static final int WEST_OBJECTS = 5;

  @TempDir
  static Path dir;
  static ServerReplicas replicas;
  static GitHttpServer git;
  static KubeControlPlane cluster;
  static final List<TcpBalancer> balancers = new ArrayList<>();
  static final List<TetherAgent> agents = new ArrayList<>();
  static TetherAgent east;
  static TetherAgent westLeader;
  static TetherAgent westStandby;
  static final Map<String, String> agentTokenIds = new ConcurrentHashMap<>();
  static final Map<String, String> accessTokenIds = new ConcurrentHashMap<>();
  static GitRepository manifests;
  static ApiClient api;
  static String accessToken;

  @BeforeAll
  static void start(PostgresServer postgres, KubeControlPlane plane) throws Exception {
    cluster = plane;
    kubectlAdmin("create", "namespace", WEST_NAMESPACE);
    PostgresDatabase db = postgres.createDatabase("replicas_routing");
    ConfigProject config = new ConfigProject(dir.resolve("repos"), "config");
    manifests = GitRepository.create(dir.resolve("repos"), "manifests");
    manifests.write("objects.yaml", String.join("---\n", IntStream.range(0, WEST_OBJECTS)
        .mapToObj(i -> configMap("west-" + i, "1")).toList()));
    manifests.commitAndPush("West's objects");
    config.push("east", """
        ci_access:
          projects:
            - id: group/deployer
        """);
    config.push("west", """
        ci_access:
          projects:
            - id: group/deployer
        gitops:
          manifest_projects:
            - id: team/app
              default_namespace: %s
        """.formatted(WEST_NAMESPACE));
    // Over HTTP, so that the test counts the fetches of all replicas.
    git = GitHttpServer.serve(dir.resolve("repos"), "reader", "s3cret");
    replicas = ServerReplicas.start(dir.resolve("servers"), 3, db, "--allow-git-url", "127.0.0.0/8", "--poll-interval", "1s",
        "--proxy-requests-per-token", "1000", "--proxy-request-burst-per-token", "1000");
    api = new ApiClient(replicas.get(1).httpUrl(), replicas.adminToken());
    Map<String, String> reader = Map.of("username", "reader", "password", "s3cret");
    api.post("/api/v1/projects", Map.of("id", "platform/config", "url", git.url(config.repo()), "credentials", reader));
    api.post("/api/v1/projects", Map.of("id", "team/app", "url", git.url(manifests), "credentials", reader));
    accessToken = createAccessToken();

    east = startAgent("east", createAgent("east"), balancer(1, 2, 3), Optional.empty());
    Path westToken = createAgent("west");
    westLeader = startAgent("west", westToken, balancer(1, 2, 3), Optional.of("west-a"));
    await().atMost(Duration.ofSeconds(60)).until(() -> westLeader.gitopsPermission().applies());
    westStandby = startAgent("west", westToken, balancer(2, 3, 1), Optional.of("west-b"));
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      assertThat(replicasOf("east")).containsExactly(replicaId(1));
      assertThat(replicasOf("west")).containsExactlyInAnyOrder(replicaId(1), replicaId(2));
    });
  }

  /** A load balancer in front of the replicas, trying them in this order. */
  private static TcpBalancer balancer(int... order) throws Exception {
    List<ServerReplicas.Replica> all = replicas.all();
    TcpBalancer balancer = new TcpBalancer(() -> Arrays.stream(order).mapToObj(i -> all.get(i - 1).agentAddress()).toList());
    balancers.add(balancer);
    return balancer;
  }

  /** Creates the agent; its token's file. */
  private static Path createAgent(String name) throws Exception {
    JsonNode created = api.post("/api/v1/agents", Map.of("name", name, "config_project", "platform/config"));
    agentTokenIds.put(name, created.get("token").get("id").asText());
    return Files.writeString(dir.resolve(name + ".token"), created.get("secret").asText() + "\n");
  }

  /** A new access token for CI jobs of group/deployer; its secret. */
  private static String createAccessToken() {
    JsonNode created = api.post("/api/v1/access-tokens", Map.of("project", "group/deployer", "description", "test"));
    accessTokenIds.put(created.get("secret").asText(), created.get("token").get("id").asText());
    return created.get("secret").asText();
  }

  /** @param leaseIdentity the agent runs as a replica with this identity in the Lease, as `--replicas 2` makes them */
  private static TetherAgent startAgent(String name, Path token, TcpBalancer balancer, Optional<String> leaseIdentity) {
    AgentSettings settings = new AgentSettings(balancer.address(), token, Optional.of(replicas.caFile()),
        Optional.of(cluster.kubeconfig()), Duration.ofMillis(500), Optional.empty(), false);
    if (leaseIdentity.isPresent()) {
      settings = settings.withGitopsLease(LeaseSettings.of(WEST_NAMESPACE, WEST_LEASE, leaseIdentity.get()));
    }
    TetherAgent agent = new TetherAgent(settings).start();
    agents.add(agent);
    return agent;
  }

  @AfterAll
  static void stop() throws Exception {
    agents.forEach(TetherAgent::close);
    for (TcpBalancer balancer : balancers) {
      balancer.close();
    }
    if (git != null) {
      git.close();
    }
    if (replicas != null) {
      replicas.close();
      for (ServerReplicas.Replica replica : replicas.all()) {
        // What each replica said about agents, replicas and problems: the first thing to read when this test fails.
        System.out.println("--- " + replica.log());
        replica.logText().lines().filter(l -> l.contains("Agent '") || l.contains("replica") || l.contains("WARN")
            || l.contains("ERROR")).limit(60).forEach(System.out::println);
      }
    }
  }

  /** The agent's connections as the API of replica 3 lists them (it holds none until replica 1 dies). */
  private static List<JsonNode> connections(String agent) {
    ApiClient third = new ApiClient(replicas.get(3).httpUrl(), adminToken());
    return StreamSupport.stream(third.get("/api/v1/agents/" + agent).get("connections").spliterator(), false).toList();
  }

  private static List<String> replicasOf(String agent) {
    return connections(agent).stream().map(c -> c.get("replica").asText()).toList();
  }

  private static String adminToken() {
    try {
      return replicas.adminToken();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** A replica's id, from the line its log says it registered with. */
  private static String replicaId(int i) throws Exception {
    return replicas.get(i).id();
  }

  private static Path kubeconfig(int replica, String agent) throws Exception {
    return kubeconfig(replica, agent, accessToken);
  }

  private static Path kubeconfig(int replica, String agent, String token) throws Exception {
    Path file = dir.resolve(agent + "-via-" + replica + "-" + Integer.toHexString(token.hashCode()) + ".kubeconfig");
    Files.writeString(file, """
        apiVersion: v1
        kind: Config
        clusters: [{name: tether, cluster: {server: "%s", certificate-authority: "%s"}}]
        users: [{name: ci, user: {token: "%s:%s"}}]
        contexts: [{name: ci, context: {cluster: tether, user: ci}}]
        current-context: ci
        """.formatted(replicas.get(replica).kubeProxyUrl(), replicas.caFile(), agent, token));
    return file;
  }

  private static ExternalCommand kubectl(Path kubeconfig, String... args) {
    return ExternalCommand.of(cluster.binaries().kubectl().toString(), "--kubeconfig", kubeconfig.toString()).args(args)
        .timeout(Duration.ofMinutes(1));
  }

  private static void kubectlAdmin(String... args) {
    kubectl(cluster.kubeconfig(), args).run().orThrow();
  }

  /** kubectl --watch as a process; its output (stdout and stderr) goes to a file. */
  private static WatchProcess watch(Path kubeconfig, String namespace, String name) throws Exception {
    return WatchProcess.start(dir.resolve(name + ".out"), cluster.binaries().kubectl().toString(), "--kubeconfig",
        kubeconfig.toString(), "get", "configmaps", "-n", namespace, "--watch", "-o", "name");
  }

  /** A watch's raw events, one JSON object a line, as the proxy sends them (kubectl get -w would print an ERROR event's Status as an object). */
  private static WatchProcess rawWatch(Path kubeconfig, String namespace, String name) throws Exception {
    return WatchProcess.start(dir.resolve(name + ".out"), cluster.binaries().kubectl().toString(), "--kubeconfig",
        kubeconfig.toString(), "get", "--raw", "/api/v1/namespaces/" + namespace + "/configmaps?watch=true");
  }

  @Test
  @Order(1)
  @DisplayName("kubectl get and apply through every replica reach every agent, and a watch streams across the hop")
  void everyReplicaReachesEveryAgent(TestNamespace ns) throws Exception {
    for (int replica = 1; replica <= 3; replica++) {
      for (String agent : List.of("east", "west")) {
        Path config = kubeconfig(replica, agent);
        String name = agent + "-via-" + replica;
        Path manifest = Files.writeString(dir.resolve(name + ".yaml"), """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: %s, namespace: %s}
            data: {agent: %s}
            """.formatted(name, ns.name(), agent));
        assertThat(kubectl(config, "apply", "--server-side", "-f", manifest.toString()).run().orThrow().stdout())
            .contains("configmap/" + name);
        assertThat(kubectl(config, "get", "configmap", name, "-n", ns.name(), "-o", "jsonpath={.data.agent}").run().orThrow()
            .stdout()).isEqualTo(agent);
      }
    }

    // Through replica 3 to agent east on replica 1: the watch's events must arrive as they happen.
    try (WatchProcess watch = watch(kubeconfig(3, "east"), ns.name(), "watch-east-via-3")) {
      await().atMost(Duration.ofSeconds(30)).until(() -> watch.lines().contains("configmap/east-via-1"));
      kubectl(kubeconfig(2, "west"), "create", "configmap", "late", "-n", ns.name()).run().orThrow();
      await().atMost(Duration.ofSeconds(10)).until(() -> watch.lines().contains("configmap/late"));
      assertThat(watch.isAlive()).as("the watch still streams").isTrue();
    }
  }

  @Test
  @Order(2)
  @DisplayName("two replicas of agent west on two server replicas: the one holding the Lease applies, the other stands by")
  void oneReplicaOfAnAgentAppliesAcrossServerReplicas() throws Exception {
    await().atMost(Duration.ofSeconds(60)).until(() -> westLeader.gitops().outcome("team/app")
        .map(o -> o.phase() == Phase.SYNCED).orElse(false));
    assertThat(westStandby.gitops().outcome("team/app")).as("the standby never synced").isEmpty();
    assertThat(westStandby.gitopsPermission().applies()).isFalse();
    // Each server replica decides for the connections it holds; every replica's API shows both decisions.
    List<JsonNode> west = connections("west");
    assertThat(west).hasSize(2);
    JsonNode applying = west.stream().filter(c -> c.get("applies_gitops").asBoolean()).findFirst().orElseThrow();
    assertThat(west.stream().filter(c -> c.get("applies_gitops").asBoolean())).hasSize(1);
    assertThat(applying.get("replica").asText()).as("the leader's connection is on replica 1").isEqualTo(replicaId(1));
    assertThat(kubectl(cluster.kubeconfig(), "get", "configmap", "west-" + (WEST_OBJECTS - 1), "-n", WEST_NAMESPACE, "-o",
        "jsonpath={.data.value}").run().orThrow().stdout()).isEqualTo("1");
  }

  @Test
  @Order(3)
  @DisplayName("routing overhead: the same kubectl request through the replica holding the tunnel and through another one")
  void routingOverhead() throws Exception {
    HttpClient client = proxyClient();
    String path = "/api/v1/namespaces/" + WEST_NAMESPACE + "/configmaps/west-0";
    RoutingOverhead measured = RoutingOverhead.measure(200, () -> timedGet(client, 1, "east", path),
        () -> timedGet(client, 3, "east", path));
    System.out.println("[replicas] routing overhead (shared machine): " + measured);
    assertThat(measured.viaOwner()).hasSize(200);
  }

  private static HttpClient proxyClient() throws Exception {
    return HttpClient.newBuilder().sslContext(CaTrust.of(replicas.caFile())).version(HttpClient.Version.HTTP_1_1).build();
  }

  /** A GET through replica {@code replica}'s Kubernetes API proxy, as kubectl sends it for {@code agent}. */
  private static HttpResponse<String> get(HttpClient client, int replica, String agent, String path) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(replicas.get(replica).kubeProxyUrl() + path))
        .header("Authorization", "Bearer " + agent + ":" + accessToken).timeout(Duration.ofSeconds(30)).build();
    return client.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static long timedGet(HttpClient client, int replica, String agent, String path) throws Exception {
    long started = System.nanoTime();
    HttpResponse<String> answer = get(client, replica, agent, path);
    long took = System.nanoTime() - started;
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    return took;
  }

  @Test
  @Order(4)
  @DisplayName("an agent token revoked on replica 1 closes its tunnel on replica 3; an access token revoked on replica 2 ends "
      + "a watch that replica 3 forwards to replica 1")
  void revocationsReachEveryReplica(TestNamespace ns) throws Exception {
    startAgent("north", createAgent("north"), balancer(3, 1, 2), Optional.empty());
    await().atMost(Duration.ofSeconds(60)).until(() -> replicasOf("north").equals(List.of(replicaId(3))));
    api.delete("/api/v1/tokens/" + agentTokenIds.get("north"));
    long revoked = System.nanoTime();
    await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(20)).until(() -> connections("north").isEmpty());
    System.out.printf("[replicas] agent token revoked on replica 1: its connection on replica 3 closed after %d ms%n",
        (System.nanoTime() - revoked) / 1_000_000);
    Thread.sleep(2_000); // the agent dials again with the revoked token: no replica lets it back in
    assertThat(connections("north")).isEmpty();
    assertThat(api.get("/api/v1/agents/north").get("connections")).isEmpty();

    String revokedLater = createAccessToken();
    kubectl(kubeconfig(1, "east"), "create", "configmap", "before-revocation", "-n", ns.name()).run().orThrow();
    try (WatchProcess watch = rawWatch(kubeconfig(3, "east", revokedLater), ns.name(), "watch-revoked")) {
      await().atMost(Duration.ofSeconds(30)).until(() -> watch.text().contains("\"name\":\"before-revocation\""));
      new ApiClient(replicas.get(2).httpUrl(), adminToken()).delete("/api/v1/access-tokens/" + accessTokenIds.get(revokedLater));
      long accessRevoked = System.nanoTime();
      await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20)).until(() -> !watch.isAlive());
      System.out.printf("[replicas] access token revoked on replica 2: the watch through replica 3 to replica 1 ended after %d ms"
          + "; its last event: %s%n", (System.nanoTime() - accessRevoked) / 1_000_000, watch.lines().get(watch.lines().size() - 1));
      // The watch ends with an ERROR event saying why.
      String last = watch.lines().get(watch.lines().size() - 1);
      assertThat(last).startsWith("{\"type\":\"ERROR\"").contains("\"code\":503",
          "access token " + accessTokenIds.get(revokedLater) + " was revoked");
    }
    assertThat(kubectl(kubeconfig(3, "east", revokedLater), "get", "configmap", "before-revocation", "-n", ns.name()).run()
        .stderr()).contains("access token " + accessTokenIds.get(revokedLater) + " was revoked");
  }

  @Test
  @Order(5)
  @DisplayName("SIGKILL of replica 1: a watch across the hop ends saying why, a request not yet answered gets a clear 503, the agents "
      + "reconnect to the others and kubectl reaches them again, the dead replica's rows lapse, and the next poll and sync "
      + "happen elsewhere without writing anything twice")
  void aKilledReplicaIsReplaced(TestNamespace ns) throws Exception {
    api = new ApiClient(replicas.get(3).httpUrl(), adminToken()); // replica 1 goes away
    String dead = replicaId(1);
    HttpClient client = proxyClient();
    kubectl(kubeconfig(1, "east"), "create", "configmap", "before-kill", "-n", ns.name()).run().orThrow();
    String path = "/api/v1/namespaces/" + ns.name() + "/configmaps/before-kill";
    AuditLog audit = new AuditLog(cluster);
    long mark = audit.mark();
    long killed;
    try (WatchProcess watch = rawWatch(kubeconfig(3, "east"), ns.name(), "watch-across-kill")) {
      await().atMost(Duration.ofSeconds(30)).until(() -> watch.text().contains("\"name\":\"before-kill\""));
      replicas.get(1).kill();
      killed = System.nanoTime();

      // Replica 3 still reads that east is on replica 1 (east waits at least half a second before it dials again).
      HttpResponse<String> refused = get(client, 3, "east", path);
      System.out.printf("[replicas] a request for east through replica 3 right after replica 1 died: %d %s%n",
          refused.statusCode(), refused.body());
      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(refused.body()).contains("agent 'east' cannot be reached through the other server replicas",
          "refused the connection", "try again");

      // The watch's answer had started: it ends with an ERROR event (a Status with code 503) saying why.
      await().atMost(Duration.ofSeconds(10)).until(() -> !watch.isAlive());
      System.out.printf("[replicas] the watch through replica 3 ended %d ms after replica 1 died, exit code %d: %s%n",
          (System.nanoTime() - killed) / 1_000_000, watch.exitCode(), watch.lines().get(watch.lines().size() - 1));
      String last = watch.lines().get(watch.lines().size() - 1);
      assertThat(last).startsWith("{\"type\":\"ERROR\"").contains("\"code\":503",
          "agent 'east' cannot be reached through the other server replicas", "stopped answering", "try again");
    }

    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() ->
        get(client, 2, "east", path).statusCode() == 200 && get(client, 3, "east", path).statusCode() == 200);
    Duration back = Duration.ofNanos(System.nanoTime() - killed);
    System.out.printf("[replicas] kubectl through replicas 2 and 3 reached east again %d ms after replica 1 died%n",
        back.toMillis());
    assertThat(back).as("east reconnects within seconds; its old connection's lease lapses within 10 s")
        .isLessThan(Duration.ofSeconds(15));

    // The dead replica's rows are no longer used once its lease lapsed (10 s).
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
      assertThat(replicasOf("east")).hasSize(1).doesNotContain(dead);
      assertThat(replicasOf("west")).hasSize(2).doesNotContain(dead);
    });
    System.out.printf("[replicas] replica 1's connections gone from the listing %d ms after it died%n",
        (System.nanoTime() - killed) / 1_000_000);
    await().atMost(Duration.ofSeconds(30)).until(() -> westLeader.gitopsPermission().applies());
    assertThat(connections("west").stream().filter(c -> c.get("applies_gitops").asBoolean())).hasSize(1);

    // Nobody sends a webhook: the commit is found by a poll of a surviving replica (replica 1's claims lapse) and
    // synced by the west replica holding the Lease, now on another server replica, writing only what changed.
    int fetchesBefore = git.fetchCount();
    Thread.sleep(5_000);
    System.out.printf("[replicas] %d fetches in 5 s by the 2 replicas left, polling 2 projects every second%n",
        git.fetchCount() - fetchesBefore);
    manifests.write("objects.yaml", String.join("---\n", IntStream.range(0, WEST_OBJECTS)
        .mapToObj(i -> configMap("west-" + i, i == 0 ? "2" : "1")).toList()));
    String changed = manifests.commitAndPush("west-0 changes");
    await().atMost(Duration.ofSeconds(60)).until(() -> westLeader.gitops().outcome("team/app")
        .map(o -> o.commit().equals(changed) && o.phase() == Phase.SYNCED).orElse(false));
    assertThat(westStandby.gitops().outcome("team/app")).as("the standby never synced").isEmpty();
    List<String> written = audit.writesSince(mark, "tether-agent/").stream()
        .filter(e -> "configmaps".equals(e.path("objectRef").path("resource").asText()))
        .map(e -> e.path("objectRef").path("name").asText()).filter(name -> name.matches("west-\\d+")).toList();
    assertThat(written).as("since replica 1 died, only the changed object was written, once").containsExactly("west-0");
  }
}
