package dev.tether.it.replicas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.agent.AgentSettings;
import dev.tether.agent.TetherAgent;
import dev.tether.it.support.ApiClient;
import dev.tether.it.support.ConfigProject;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.WithKubernetes;
import dev.tether.testkit.postgres.PostgresDatabase;
import dev.tether.testkit.postgres.PostgresServer;
import dev.tether.testkit.postgres.WithPostgres;
import dev.tether.testkit.process.ExternalCommand;
import dev.tether.testkit.replicas.ServerReplicas;
import dev.tether.testkit.replicas.TcpBalancer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three server replicas (processes) on one PostgreSQL, two agents on a real control plane connected
 * through TCP load balancers: each balancer's first choice makes the routing certain (agent east on
 * replica 1, agent west on replica 2), and replica 3 holds neither.
 */
@WithPostgres
@WithKubernetes
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServerReplicasRoutingTest {
  @TempDir
  static Path dir;
  static ServerReplicas replicas;
  static TcpBalancer toEast;
  static TcpBalancer toWest;
  static KubeControlPlane cluster;
  static final List<TetherAgent> agents = new ArrayList<>();
  static ApiClient api;
  static String accessToken;

  @BeforeAll
  static void start(PostgresServer postgres, KubeControlPlane plane) throws Exception {
    cluster = plane;
    PostgresDatabase db = postgres.createDatabase("replicas_routing");
    ConfigProject config = new ConfigProject(dir.resolve("repos"), "config");
    for (String agent : List.of("east", "west")) {
      config.push(agent, """
          ci_access:
            projects:
              - id: group/deployer
          """);
    }
    replicas = ServerReplicas.start(dir.resolve("servers"), 3, db, "--allow-local-git-paths", "--poll-interval", "1s");
    api = new ApiClient(replicas.get(1).httpUrl(), replicas.adminToken());
    api.post("/api/v1/projects", Map.of("id", "platform/config", "url", config.repo().bareDir().toString()));
    accessToken = api.post("/api/v1/access-tokens", Map.of("project", "group/deployer", "description", "test")).get("secret").asText();
    List<ServerReplicas.Replica> all = replicas.all();
    // Round robin starts at each balancer's first backend.
    toEast = new TcpBalancer(() -> all.stream().map(ServerReplicas.Replica::agentAddress).toList());
    toWest = new TcpBalancer(() -> List.of(all.get(1).agentAddress(), all.get(2).agentAddress(), all.get(0).agentAddress()));
    agents.add(startAgent("east", toEast));
    agents.add(startAgent("west", toWest));
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      assertThat(holder("east")).isEqualTo(replicaId(1));
      assertThat(holder("west")).isEqualTo(replicaId(2));
    });
  }

  private static TetherAgent startAgent(String name, TcpBalancer balancer) throws Exception {
    JsonNode created = api.post("/api/v1/agents", Map.of("name", name, "config_project", "platform/config"));
    Path token = Files.writeString(dir.resolve(name + ".token"), created.get("secret").asText() + "\n");
    return new TetherAgent(new AgentSettings(balancer.address(), token, Optional.of(replicas.caFile()),
        Optional.of(cluster.kubeconfig()), Duration.ofMillis(500), Optional.empty(), false)).start();
  }

  @AfterAll
  static void stop() throws Exception {
    agents.forEach(TetherAgent::close);
    if (toEast != null) {
      toEast.close();
      toWest.close();
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

  /** The replica that holds the agent's connection, as the API of replica 3 (which holds none) lists it. */
  private static String holder(String agent) throws Exception {
    ApiClient third = new ApiClient(replicas.get(3).httpUrl(), replicas.adminToken());
    JsonNode connections = third.get("/api/v1/agents/" + agent).get("connections");
    return connections.size() == 1 ? connections.get(0).get("replica").asText() : "(" + connections.size() + " connections)";
  }

  /** A replica's id, from the line its log says it registered with. */
  private static String replicaId(int i) throws Exception {
    return replicas.get(i).logText().lines().filter(l -> l.contains("Server replica ") && l.contains(" registered"))
        .map(l -> l.replaceAll(".*Server replica (r-[0-9a-f]+) registered.*", "$1")).findFirst().orElse("(not registered)");
  }

  private static Path kubeconfig(int replica, String agent) throws Exception {
    Path file = dir.resolve(agent + "-via-" + replica + ".kubeconfig");
    Files.writeString(file, """
        apiVersion: v1
        kind: Config
        clusters: [{name: tether, cluster: {server: "%s", certificate-authority: "%s"}}]
        users: [{name: ci, user: {token: "%s:%s"}}]
        contexts: [{name: ci, context: {cluster: tether, user: ci}}]
        current-context: ci
        """.formatted(replicas.get(replica).kubeProxyUrl(), replicas.caFile(), agent, accessToken));
    return file;
  }

  private static ExternalCommand kubectl(Path kubeconfig, String... args) {
    return ExternalCommand.of(cluster.binaries().kubectl().toString(), "--kubeconfig", kubeconfig.toString()).args(args)
        .timeout(Duration.ofMinutes(1));
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
    List<String> watched = new CopyOnWriteArrayList<>();
    Process watch = new ProcessBuilder(cluster.binaries().kubectl().toString(), "--kubeconfig", kubeconfig(3, "east").toString(),
        "get", "configmaps", "-n", ns.name(), "--watch", "-o", "name").redirectErrorStream(true).start();
    Thread reader = new Thread(() -> {
      try (BufferedReader lines = new BufferedReader(new InputStreamReader(watch.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = lines.readLine()) != null; ) {
          watched.add(line);
        }
      } catch (java.io.IOException ended) {
        // the watch ended
      }
    });
    reader.start();
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> watched.contains("configmap/east-via-1"));
      kubectl(kubeconfig(2, "west"), "create", "configmap", "late", "-n", ns.name()).run().orThrow();
      await().atMost(Duration.ofSeconds(10)).until(() -> watched.contains("configmap/late"));
      assertThat(watch.isAlive()).as("the watch still streams").isTrue();
    } finally {
      watch.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
