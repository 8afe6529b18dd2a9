package dev.tether.it.kubeproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.agent.TetherAgent;
import dev.tether.it.support.ConfigProject;
import dev.tether.it.support.TetherHarness;
import dev.tether.testkit.k8s.AuditLog;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.WithKubernetes;
import dev.tether.testkit.metrics.PrometheusText;
import dev.tether.testkit.process.ExternalCommand;
import dev.tether.testkit.process.ProcessResult;
import dev.tether.testkit.tether.TetherJar;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Plain kubectl through the server and down the agent's outbound connection, with the cluster's RBAC having the last word. */
@WithKubernetes
class KubeProxyTest {
  @TempDir
  static Path dir;
  static TetherHarness tether;
  static TetherAgent agent;
  static Path agentToken;
  static KubeControlPlane cluster;
  /** CI jobs of group/deployer act as the agent; of group/app as an impersonated CI identity. */
  static Path asAgent;
  static Path asCiJob;
  static Path notListed;

  @BeforeAll
  static void start(KubeControlPlane plane) throws Exception {
    cluster = plane;
    ConfigProject config = new ConfigProject(dir.resolve("repos"), "config");
    config.push("prod", """
        ci_access:
          projects:
            - id: group/deployer
            - id: group/app
              access_as: { ci_job: {} }
            - id: group/homed
              default_namespace: homed
        user_access:
          access_as: { user: {} }
          projects: [ { id: group/app } ]
        """);
    tether = new TetherHarness(dir, Duration.ofMillis(300));
    tether.addProject("platform/config", config.repo().bareDir().toString(), Map.of());
    agentToken = tether.createAgent("prod", "platform/config");
    agent = tether.startAgent(agentToken, Optional.of(plane.kubeconfig()));
    await().atMost(Duration.ofSeconds(20)).until(() -> agent.configuration().isPresent());
    asAgent = kubeconfig("deployer", ciToken("group/deployer"));
    asCiJob = kubeconfig("app", ciToken("group/app"));
    // Given a namespace, `tether kubeconfig` does not ask the proxy, which would refuse this token at once.
    notListed = kubeconfig("other", ciToken("group/other"), "--namespace", "default");
  }

  @AfterAll
  static void stop() {
    tether.close();
  }

  private static Path ciToken(String project) throws Exception {
    JsonNode created = tether.api().post("/api/v1/access-tokens", Map.of("project", project, "description", "test"));
    Path file = dir.resolve(project.replace('/', '-') + ".token");
    Files.writeString(file, created.get("secret").asText() + "\n");
    return file;
  }

  /** `tether kubeconfig`, run as a user runs it. */
  private static Path kubeconfig(String name, Path token, String... more) {
    Path out = dir.resolve(name + ".kubeconfig");
    TetherJar.run(kubeconfigArgs(token, out, more)).run().orThrow();
    return out;
  }

  private static String[] kubeconfigArgs(Path token, Path out, String... more) {
    List<String> args = new ArrayList<>(List.of("kubeconfig", "--agent", "prod", "--token-file", token.toString(), "--server",
        tether.server().kubeProxyUrl(), "--ca-file", tether.caFile().toString(), "--out", out.toString()));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  private static ExternalCommand kubectl(Path kubeconfig, String... args) {
    return ExternalCommand.of(cluster.binaries().kubectl().toString(), "--kubeconfig", kubeconfig.toString()).args(args)
        .timeout(Duration.ofMinutes(2));
  }

  @Test
  @DisplayName("tether kubeconfig takes the ci_access entry's default_namespace from the proxy, and fails at once for a refused token")
  void kubeconfigAsksTheProxy(KubernetesClient client) throws Exception {
    client.namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata().withName("homed")
        .endMetadata().build()).create();
    try {
      client.configMaps().inNamespace("homed").resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder().withNewMetadata()
          .withName("home-marker").endMetadata().build()).create();

      Path homed = kubeconfig("homed", ciToken("group/homed"));

      assertThat(Files.readString(homed)).contains("namespace: homed");
      assertThat(kubectl(homed, "get", "configmaps", "-o", "name").run().orThrow().stdout()).contains("configmap/home-marker");
      assertThat(Files.readString(asCiJob)).as("group/app's entry names no default_namespace").doesNotContain("namespace:");

      Path refusedOut = dir.resolve("refused.kubeconfig");
      ProcessResult refused = TetherJar.run(kubeconfigArgs(ciToken("group/other"), refusedOut)).run();
      assertThat(refused.exitCode()).isEqualTo(1);
      assertThat(refused.stderr()).contains("refused this token for agent 'prod' (HTTP 403)")
          .contains("does not let CI jobs of project 'group/other' in");
      assertThat(refusedOut).doesNotExist();
    } finally {
      client.namespaces().withName("homed").delete();
    }
  }

  @Test
  @DisplayName("kubectl get, apply --server-side, patch, describe and delete work through the proxy")
  void everydayCommands(TestNamespace ns, KubernetesClient client) throws Exception {
    Path manifest = dir.resolve(ns + "-app.yaml");
    Files.writeString(manifest, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: via-proxy\ndata:\n  color: blue\n");

    assertThat(kubectl(asAgent, "get", "namespaces", "-o", "name").run().orThrow().stdout()).contains("namespace/" + ns);
    assertThat(kubectl(asAgent, "apply", "--server-side", "-n", ns.name(), "-f", manifest.toString()).run().orThrow().stdout())
        .contains("configmap/via-proxy serverside-applied");
    assertThat(client.configMaps().withName("via-proxy").get().getData()).containsEntry("color", "blue");
    kubectl(asAgent, "patch", "configmap", "via-proxy", "-n", ns.name(), "--type", "merge", "-p", "{\"data\":{\"color\":\"red\"}}")
        .run().orThrow();
    assertThat(client.configMaps().withName("via-proxy").get().getData()).containsEntry("color", "red");
    assertThat(kubectl(asAgent, "describe", "configmap", "via-proxy", "-n", ns.name()).run().orThrow().stdout())
        .contains("Name:", "via-proxy", "red");
    kubectl(asAgent, "delete", "configmap", "via-proxy", "-n", ns.name()).run().orThrow();
    assertThat(client.configMaps().withName("via-proxy").get()).isNull();
  }

  @Test
  @DisplayName("a CI identity without a RoleBinding gets 403 from the cluster; with one, 200")
  void clusterRbacDecidesForImpersonatedIdentities(TestNamespace ns, KubernetesClient client) {
    ProcessResult denied = kubectl(asCiJob, "get", "configmaps", "-n", ns.name()).run();

    assertThat(denied.exitCode()).isNotZero();
    assertThat(denied.stderr()).contains("Forbidden").contains("User \"tether:ci:group/app\"");

    client.rbac().roleBindings().resource(new RoleBindingBuilder().withNewMetadata().withName("ci-app-view").endMetadata()
        .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", "view")
        .addNewSubject().withKind("Group").withName("tether:project:group/app").withApiGroup("rbac.authorization.k8s.io").endSubject()
        .build()).create();

    await().atMost(Duration.ofSeconds(10)).until(() -> kubectl(asCiJob, "get", "configmaps", "-n", ns.name()).run().succeeded());
  }

  @Test
  @DisplayName("requests one after another travel on the agent's open tunnel streams: no new stream per request, bodies included")
  void streamsCarryRequestAfterRequest(TestNamespace ns) throws Exception {
    String metrics = tether.server().httpUrl() + "/metrics";
    double before = PrometheusText.scrape(metrics).sum("tether_proxy_tunnels_opened_total");
    Path manifest = dir.resolve("reused.yaml");
    for (int i = 0; i < 10; i++) {
      ProcessResult read = kubectl(asAgent, "get", "--raw", "/api/v1/namespaces/" + ns.name() + "/serviceaccounts/default").run();
      assertThat(read.succeeded()).as(read.describe()).isTrue();
      assertThat(read.stdout()).contains("\"name\":\"default\"");
      Files.writeString(manifest, "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: reused, namespace: %s }\ndata: { round: \"%d\" }\n"
          .formatted(ns.name(), i));
      ProcessResult write = kubectl(asAgent, "apply", "--server-side", "-f", manifest.toString()).run();
      assertThat(write.succeeded()).as(write.describe()).isTrue();
    }
    double opened = PrometheusText.scrape(metrics).sum("tether_proxy_tunnels_opened_total") - before;
    // 20 kubectl runs make well over 20 requests; a stream per request would open as many.
    assertThat(opened).as("tunnel streams opened for 20 kubectl runs one after another").isLessThanOrEqualTo(4);
  }

  @Test
  @DisplayName("Tether refuses before the tunnel: a project not in ci_access gets 403 naming the agent, an unknown token 401")
  void tetherRefuses() throws Exception {
    ProcessResult notAllowed = kubectl(notListed, "get", "--raw", "/api/v1/namespaces").run();
    assertThat(notAllowed.exitCode()).isNotZero();
    assertThat(notAllowed.stderr()).contains("agent 'prod' does not let CI jobs of project 'group/other' in")
        .contains("ci_access");
    // What a CI job runs: kubectl's discovery comes first, and it shows the same message.
    ProcessResult plain = kubectl(notListed, "get", "pods").run();
    assertThat(plain.exitCode()).isNotZero();
    assertThat(plain.stderr()).contains("Error from server (Forbidden): agent 'prod' does not let CI jobs of project 'group/other' in");

    Path bogus = dir.resolve("bogus.token");
    Files.writeString(bogus, dev.tether.common.token.SecretToken.generate(dev.tether.common.token.SecretToken.Kind.ACCESS).reveal());
    ProcessResult unknown = kubectl(kubeconfig("bogus", bogus, "--namespace", "default"), "get", "namespaces").run();
    assertThat(unknown.exitCode()).isNotZero();
    assertThat(unknown.stderr()).contains("You must be logged in to the server").contains("unknown access token");
  }

  @Test
  @DisplayName("kubectl get -w shows events as they happen")
  void watchStreams(TestNamespace ns, KubernetesClient client) throws Exception {
    client.configMaps().resource(new ConfigMapBuilder().withNewMetadata().withName("before").endMetadata().build()).create();
    Process watch = new ProcessBuilder(cluster.binaries().kubectl().toString(), "--kubeconfig", asAgent.toString(),
        "get", "configmaps", "-n", ns.name(), "-w", "--output-watch-events", "-o", "name").redirectErrorStream(true).start();
    List<String> lines = new CopyOnWriteArrayList<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(watch.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          lines.add(line);
        }
      } catch (java.io.IOException ignored) {
        // kubectl ended
      }
    });
    reader.start();
    try {
      await().atMost(Duration.ofSeconds(20)).until(() -> lines.stream().anyMatch(l -> l.contains("before")));
      for (int i = 0; i < 3; i++) {
        long before = System.nanoTime();
        String name = "event-" + i;
        client.configMaps().resource(new ConfigMapBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20)).until(() -> lines.stream().anyMatch(l -> l.contains(name)));
        System.out.printf("[kubeproxy] watch event %d arrived %d ms after the change%n", i, (System.nanoTime() - before) / 1_000_000);
      }
    } finally {
      watch.destroyForcibly();
    }
  }

  @Test
  @DisplayName("a long watch cancelled by killing kubectl ends the upstream watch at the API server")
  void killedWatchEndsUpstream(TestNamespace ns) throws Exception {
    AuditLog audit = new AuditLog(cluster);
    long mark = audit.mark();
    Process watch = new ProcessBuilder(cluster.binaries().kubectl().toString(), "--kubeconfig", asAgent.toString(),
        "get", "secrets", "-n", ns.name(), "-w").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    try {
      await().atMost(Duration.ofSeconds(20)).until(() -> watchEvents(audit, mark, ns, "ResponseStarted").size() == 1);
      String auditId = watchEvents(audit, mark, ns, "ResponseStarted").get(0).path("auditID").asText();

      watch.destroyForcibly().waitFor(5, TimeUnit.SECONDS);

      await().atMost(Duration.ofSeconds(15)).until(() -> watchEvents(audit, mark, ns, "ResponseComplete").stream()
          .anyMatch(e -> e.path("auditID").asText().equals(auditId)));
    } finally {
      watch.destroyForcibly();
    }
  }

  private static List<JsonNode> watchEvents(AuditLog audit, long mark, TestNamespace ns, String stage) throws Exception {
    List<JsonNode> found = new ArrayList<>();
    for (String line : Files.readAllLines(cluster.auditLog())) {
      JsonNode e = dev.tether.it.support.ApiClient.JSON.readTree(line);
      if (e.path("verb").asText().equals("watch") && e.path("stage").asText().equals(stage)
          && e.path("objectRef").path("resource").asText().equals("secrets")
          && e.path("objectRef").path("namespace").asText().equals(ns.name())) {
        found.add(e);
      }
    }
    return found;
  }

  @Test
  @DisplayName("100 concurrent kubectl get calls all succeed")
  void hundredConcurrentGets(TestNamespace ns) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(100);
    try {
      List<Future<ProcessResult>> calls = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        calls.add(pool.submit(() -> kubectl(asAgent, "get", "serviceaccounts", "-n", ns.name(), "-o", "name").run()));
      }
      for (Future<ProcessResult> call : calls) {
        ProcessResult result = call.get();
        assertThat(result.succeeded()).as(result.describe()).isTrue();
        assertThat(result.stdout()).contains("serviceaccount/default");
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @DisplayName("a list of 5000 objects comes through whole")
  void bigList(TestNamespace ns, KubernetesClient client) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<?>> creates = new ArrayList<>();
      for (int i = 0; i < 5000; i++) {
        String name = "bulk-" + i;
        creates.add(pool.submit(() -> client.configMaps().resource(new ConfigMapBuilder().withNewMetadata().withName(name).endMetadata()
            .addToData("payload", "x".repeat(100)).build()).create()));
      }
      for (Future<?> f : creates) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }

    ProcessResult list = kubectl(asAgent, "get", "configmaps", "-n", ns.name(), "-o", "name", "--chunk-size=0").run().orThrow();

    assertThat(list.stdout().lines().filter(l -> l.startsWith("configmap/bulk-")).count()).isEqualTo(5000);
  }

  @Test
  @DisplayName("agent stopped: 503 naming the agent; started again: works")
  void agentDownThenUp() throws Exception {
    agent.close();
    try {
      await().atMost(Duration.ofSeconds(10)).until(() -> !tether.agentStatus("prod").get("connected").asBoolean());

      // --raw skips discovery, for which kubectl prints a fixed message of its own for 503.
      ProcessResult down = kubectl(asAgent, "get", "--raw", "/api/v1/namespaces").run();
      assertThat(down.exitCode()).isNotZero();
      assertThat(down.stderr()).contains("ServiceUnavailable").contains("agent 'prod' is not connected");
    } finally {
      agent = tether.startAgent(agentToken, Optional.of(cluster.kubeconfig()));
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> kubectl(asAgent, "get", "namespaces").run().succeeded());
  }
}
