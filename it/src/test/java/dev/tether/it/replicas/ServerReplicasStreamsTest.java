package dev.tether.it.replicas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.agent.AgentSettings;
import dev.tether.agent.TetherAgent;
import dev.tether.it.support.ApiClient;
import dev.tether.it.support.ConfigProject;
import dev.tether.testkit.git.GitHttpServer;
import dev.tether.testkit.k8s.AuditLog;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.KubectlStreams;
import dev.tether.testkit.k8s.StreamChecks;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.TestNode;
import dev.tether.testkit.k8s.WithKubernetes;
import dev.tether.testkit.postgres.PostgresServer;
import dev.tether.testkit.postgres.WithPostgres;
import dev.tether.testkit.process.FreePort;
import dev.tether.testkit.replicas.ServerReplicas;
import dev.tether.testkit.replicas.TcpBalancer;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * kubectl exec, attach, cp and port-forward that reach a server replica NOT holding the agent's
 * tunnel: two replicas (processes) on one PostgreSQL, the agent connected to replica 1 only, kubectl
 * pointed at replica 2, pods on a real test node. The same byte-for-byte checks as through one server
 * ({@code KubeProxyStreamsTest}), over WebSocket and SPDY; then the ends: the client closing, and
 * replica 1 killed mid-exec (last, as it takes the agent's replica away).
 */
@WithPostgres
@WithKubernetes
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServerReplicasStreamsTest {
  private static final int BYTES = 3 * 1024 * 1024;

  @TempDir
  static Path dir;
  static ServerReplicas replicas;
  static GitHttpServer git;
  static TcpBalancer toReplicaOne;
  static TetherAgent agent;
  static TestNode node;
  static KubeControlPlane cluster;
  /** Through replica 2: CI jobs of group/deployer act as the agent; of group/app as the impersonated tether:ci:group/app. */
  static Path asAgent;
  static Path asCiJob;

  @BeforeAll
  static void start(PostgresServer postgres, KubeControlPlane plane) throws Exception {
    cluster = plane;
    node = TestNode.start(plane, dir.resolve("test-node"));
    ConfigProject config = new ConfigProject(dir.resolve("repos"), "config");
    config.push("prod", """
        ci_access:
          projects:
            - id: group/deployer
            - id: group/app
              access_as: { ci_job: {} }
        """);
    git = GitHttpServer.serve(dir.resolve("repos"), "reader", "s3cret");
    replicas = ServerReplicas.start(dir.resolve("servers"), 2, postgres.createDatabase("replicas_streams"),
        "--allow-git-url", "127.0.0.0/8", "--poll-interval", "1s");
    ApiClient api = new ApiClient(replicas.get(1).httpUrl(), replicas.adminToken());
    api.post("/api/v1/projects", Map.of("id", "platform/config", "url", git.url(config.repo()),
        "credentials", Map.of("username", "reader", "password", "s3cret")));
    JsonNode created = api.post("/api/v1/agents", Map.of("name", "prod", "config_project", "platform/config"));
    Path token = Files.writeString(dir.resolve("prod.token"), created.get("secret").asText() + "\n");
    toReplicaOne = new TcpBalancer(() -> List.of(replicas.get(1).agentAddress()));
    agent = new TetherAgent(new AgentSettings(toReplicaOne.address(), token, Optional.of(replicas.caFile()),
        Optional.of(plane.kubeconfig()), Duration.ofMillis(500), Optional.empty(), false)).start();
    await().atMost(Duration.ofSeconds(30)).until(() -> agent.configuration().isPresent());
    // Replica 2 knows where the agent is (it reads the others' connections at most once a second).
    ApiClient second = new ApiClient(replicas.get(2).httpUrl(), replicas.adminToken());
    await().atMost(Duration.ofSeconds(30)).until(() -> StreamSupport.stream(second.get("/api/v1/agents/prod").get("connections")
        .spliterator(), false).map(c -> c.get("replica").asText()).toList().equals(List.of(replicaId(1))));
    asAgent = kubeconfig("deployer", accessToken(api, "group/deployer"));
    asCiJob = kubeconfig("app", accessToken(api, "group/app"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (agent != null) {
      agent.close();
    }
    if (toReplicaOne != null) {
      toReplicaOne.close();
    }
    if (git != null) {
      git.close();
    }
    if (replicas != null) {
      replicas.close();
      for (ServerReplicas.Replica replica : replicas.all()) {
        System.out.println("--- " + replica.log());
        replica.logText().lines().filter(l -> l.contains("replica") || l.contains("WARN") || l.contains("ERROR")).limit(60)
            .forEach(System.out::println);
      }
    }
    if (node != null) {
      node.close();
    }
  }

  private static String accessToken(ApiClient api, String project) {
    return api.post("/api/v1/access-tokens", Map.of("project", project, "description", "test")).get("secret").asText();
  }

  /** A kubeconfig for agent prod through replica 2's Kubernetes API proxy. */
  private static Path kubeconfig(String name, String token) throws Exception {
    return Files.writeString(dir.resolve(name + "-via-2.kubeconfig"), """
        apiVersion: v1
        kind: Config
        clusters: [{name: tether, cluster: {server: "%s", certificate-authority: "%s"}}]
        users: [{name: ci, user: {token: "prod:%s"}}]
        contexts: [{name: ci, context: {cluster: tether, user: ci}}]
        current-context: ci
        """.formatted(replicas.get(2).kubeProxyUrl(), replicas.caFile(), token));
  }

  private static String replicaId(int i) throws Exception {
    return replicas.get(i).logText().lines().filter(l -> l.contains("Server replica ") && l.contains(" registered"))
        .map(l -> l.replaceAll(".*Server replica (r-[0-9a-f]+) registered.*", "$1")).findFirst().orElse("(not registered)");
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(KubectlStreams.Protocol.class)
  @Order(1)
  @DisplayName("through a replica without the agent's tunnel, exec -i cat, exec's exit code, cp, port-forward and attach -i carry bytes unchanged")
  void streamsCrossReplicas(KubectlStreams.Protocol protocol, TestNamespace ns) throws Exception {
    Path scratch = dir.resolve("scratch-" + protocol);
    int webPort = FreePort.pick();
    node.runPod(ns.name(), "streams", StreamChecks.containers(webPort));
    KubectlStreams viaReplicaTwo = new KubectlStreams(cluster.binaries().kubectl(), asAgent, ns.name(), protocol, scratch);
    KubectlStreams direct = new KubectlStreams(cluster.binaries().kubectl(), cluster.kubeconfig(), ns.name(), protocol, scratch);
    StreamChecks checks = new StreamChecks(viaReplicaTwo, "streams", webPort);
    AuditLog audit = new AuditLog(cluster);
    long mark = audit.mark();

    checks.all(scratch, BYTES, direct);
    // kubectl spoke the protocol asked for, and it reached the API server as it came (through replica 1's agent).
    assertThat(audit.awaitStreamRequests(mark)).extracting(e -> e.path("verb").asText()).containsOnly(protocol.auditVerb());
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(KubectlStreams.Protocol.class)
  @Order(2)
  @DisplayName("across replicas, exec is as powerful as the identity it runs as: the replica holding the tunnel authorizes it, "
      + "and the cluster's 403 comes back")
  void refusalCrossesReplicas(KubectlStreams.Protocol protocol, TestNamespace ns, KubernetesClient client) {
    node.runPod(ns.name(), "guarded", StreamChecks.containers(FreePort.pick()));
    StreamChecks.allowReadingPodsOnly(client, "tether:project:group/app");
    KubectlStreams asApp = new KubectlStreams(cluster.binaries().kubectl(), asCiJob, ns.name(), protocol, dir.resolve("scratch-ci"));

    KubectlStreams.Run refused = asApp.exec("guarded", StreamChecks.EXEC_CONTAINER, null, "true");

    assertThat(refused.exitCode()).isNotZero();
    assertThat(refused.stderr()).contains("User \"tether:ci:group/app\" cannot").contains("pods/exec");
  }

  @Test
  @Order(3)
  @DisplayName("kubectl killed during an exec across replicas: the exec's stream at the API server ends")
  void clientGoingAwayEndsTheStream(TestNamespace ns) throws Exception {
    node.runPod(ns.name(), "left", StreamChecks.containers(FreePort.pick()));
    AuditLog audit = new AuditLog(cluster);
    long mark = audit.mark();
    Process kubectl = startExec(ns, "left");
    try {
      assertThat(audit.execsEnded(mark)).as("the exec is under way").isZero();
      kubectl.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      // Replica 2 closes its socket to replica 1, which ends the tunnel, and the agent closes its connection to the API server.
      await().atMost(Duration.ofSeconds(15)).until(() -> audit.execsEnded(mark) == 1);
    } finally {
      kubectl.destroyForcibly();
    }
  }

  @Test
  @Order(4)
  @DisplayName("SIGKILL of the replica holding the tunnel during an exec across replicas: kubectl's connection ends, with an error")
  void replicaDeathEndsTheStream(TestNamespace ns) throws Exception {
    node.runPod(ns.name(), "orphaned", StreamChecks.containers(FreePort.pick()));
    Process kubectl = startExec(ns, "orphaned");
    try {
      replicas.get(1).kill();
      long killed = System.nanoTime();
      assertThat(kubectl.waitFor(15, TimeUnit.SECONDS)).as("kubectl ends when the replica holding the tunnel dies").isTrue();
      System.out.printf("[replicas] kubectl exec through replica 2 ended %d ms after replica 1 died, exit code %d%n",
          (System.nanoTime() - killed) / 1_000_000, kubectl.exitValue());
      assertThat(kubectl.exitValue()).isNotZero();
    } finally {
      kubectl.destroyForcibly();
    }
  }

  /** kubectl exec of a long sleep through replica 2, once its command has started. */
  private static Process startExec(TestNamespace ns, String pod) throws Exception {
    Process kubectl = new ProcessBuilder(cluster.binaries().kubectl().toString(), "--kubeconfig", asAgent.toString(), "exec", "-n",
        ns.name(), pod, "-c", StreamChecks.EXEC_CONTAINER, "--", "sh", "-c", "echo started; exec sleep 600")
        .redirectErrorStream(true).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(kubectl.getInputStream(), StandardCharsets.UTF_8));
    assertThat(out.readLine()).isEqualTo("started");
    return kubectl;
  }
}
