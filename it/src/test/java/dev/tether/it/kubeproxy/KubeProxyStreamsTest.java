package dev.tether.it.kubeproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.agent.TetherAgent;
import dev.tether.it.support.ConfigProject;
import dev.tether.it.support.TetherHarness;
import dev.tether.testkit.k8s.AuditLog;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.KubectlStreams;
import dev.tether.testkit.k8s.StreamChecks;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.TestNode;
import dev.tether.testkit.k8s.WithKubernetes;
import dev.tether.testkit.process.FreePort;
import dev.tether.testkit.tether.TetherJar;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
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
 * kubectl exec, attach, cp and port-forward through Tether's proxy and the agent's tunnel to a pod of
 * a real test node, over WebSocket and over SPDY: the same byte-for-byte checks that prove the
 * control plane directly ({@code TestNodeSmokeTest}), run with a kubeconfig made by {@code tether kubeconfig}.
 */
@WithKubernetes
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KubeProxyStreamsTest {
  private static final int BYTES = 3 * 1024 * 1024;

  @TempDir
  static Path dir;
  static TetherHarness tether;
  static TetherAgent agent;
  static TestNode node;
  static KubeControlPlane cluster;
  /** CI jobs of group/deployer act as the agent; of group/app as the impersonated tether:ci:group/app. */
  static Path asAgent;
  static Path asCiJob;

  @BeforeAll
  static void start(KubeControlPlane plane) throws Exception {
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
    tether = new TetherHarness(dir, Duration.ofMillis(300));
    tether.addProject("platform/config", config.repo().bareDir().toString(), Map.of());
    agent = tether.startAgent(tether.createAgent("prod", "platform/config"), Optional.of(plane.kubeconfig()));
    await().atMost(Duration.ofSeconds(20)).until(() -> agent.configuration().isPresent());
    asAgent = kubeconfig("deployer", ciToken("group/deployer"));
    asCiJob = kubeconfig("app", ciToken("group/app"));
  }

  @AfterAll
  static void stop() {
    if (tether != null) {
      tether.close();
    }
    if (node != null) {
      node.close();
    }
  }

  private static Path ciToken(String project) throws Exception {
    JsonNode created = tether.api().post("/api/v1/access-tokens", Map.of("project", project, "description", "test"));
    Path file = dir.resolve(project.replace('/', '-') + ".token");
    Files.writeString(file, created.get("secret").asText() + "\n");
    return file;
  }

  private static Path kubeconfig(String name, Path token) {
    Path out = dir.resolve(name + ".kubeconfig");
    TetherJar.run("kubeconfig", "--agent", "prod", "--token-file", token.toString(), "--server", tether.server().kubeProxyUrl(),
        "--ca-file", tether.caFile().toString(), "--out", out.toString()).run().orThrow();
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(KubectlStreams.Protocol.class)
  @Order(1)
  @DisplayName("through Tether, exec -i cat, exec's exit code and stderr, cp in and out, port-forward and attach -i carry bytes unchanged")
  void streams(KubectlStreams.Protocol protocol, TestNamespace ns) {
    Path scratch = dir.resolve("scratch-" + protocol);
    int webPort = FreePort.pick();
    node.runPod(ns.name(), "streams", StreamChecks.containers(webPort));
    KubectlStreams throughTether = new KubectlStreams(cluster.binaries().kubectl(), asAgent, ns.name(), protocol, scratch);
    KubectlStreams direct = new KubectlStreams(cluster.binaries().kubectl(), cluster.kubeconfig(), ns.name(), protocol, scratch);
    StreamChecks checks = new StreamChecks(throughTether, "streams", webPort);
    AuditLog audit = new AuditLog(cluster);
    long mark = audit.mark();

    checks.all(scratch, BYTES, direct);
    // kubectl spoke the protocol asked for, and the agent passed it on as it came.
    assertThat(audit.awaitStreamRequests(mark)).extracting(e -> e.path("verb").asText()).containsOnly(protocol.auditVerb());
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(KubectlStreams.Protocol.class)
  @Order(2)
  @DisplayName("exec is as powerful as the identity it runs as: a CI identity that may read the pod but not exec gets the cluster's 403")
  void execNeedsPodsExec(KubectlStreams.Protocol protocol, TestNamespace ns, KubernetesClient client) {
    node.runPod(ns.name(), "guarded", StreamChecks.containers(FreePort.pick()));
    StreamChecks.allowReadingPodsOnly(client, "tether:project:group/app");
    KubectlStreams asApp = new KubectlStreams(cluster.binaries().kubectl(), asCiJob, ns.name(), protocol, dir.resolve("scratch-ci"));

    KubectlStreams.Run refused = asApp.exec("guarded", StreamChecks.EXEC_CONTAINER, null, "true");

    assertThat(refused.exitCode()).isNotZero();
    assertThat(refused.stderr()).contains("User \"tether:ci:group/app\" cannot");
    assertThat(refused.stderr()).contains("pods/exec");
  }

  @Test
  @Order(3)
  @DisplayName("stopping the server during an exec ends it on both sides: kubectl exits with an error, the API server's stream ends, no stream thread is left")
  void serverStopEndsExec(TestNamespace ns) throws Exception {
    node.runPod(ns.name(), "stopped", StreamChecks.containers(FreePort.pick()));
    AuditLog audit = new AuditLog(cluster);
    long mark = audit.mark();
    Process kubectl = new ProcessBuilder(cluster.binaries().kubectl().toString(), "--kubeconfig", asAgent.toString(), "exec", "-n",
        ns.name(), "stopped", "-c", StreamChecks.EXEC_CONTAINER, "--", "sh", "-c", "echo started; exec sleep 600")
        .redirectErrorStream(true).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(kubectl.getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).isEqualTo("started");
      assertThat(audit.execsEnded(mark)).as("the exec is under way").isZero();

      tether.stopServer();

      assertThat(kubectl.waitFor(30, TimeUnit.SECONDS)).as("kubectl ends when the server stops").isTrue();
      assertThat(kubectl.exitValue()).isNotZero();
      // The agent closed its connection: the API server logs the exec once its stream is over. (The command
      // itself goes on running on the test node, as it does when kubectl is killed while talking to the API
      // server directly: the API server does not end the node's stream when its client goes.)
      await().atMost(Duration.ofSeconds(15)).until(() -> audit.execsEnded(mark) == 1);
      await().atMost(Duration.ofSeconds(15)).until(() -> Thread.getAllStackTraces().keySet().stream()
          .noneMatch(t -> t.isAlive() && t.getName().startsWith("kube-proxy-upgrade")));
    } finally {
      kubectl.destroyForcibly();
      tether.startServerAgain();
    }
  }
}
