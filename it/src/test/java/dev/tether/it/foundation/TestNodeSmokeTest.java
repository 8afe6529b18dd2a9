package dev.tether.it.foundation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.testkit.k8s.AuditLog;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.KubectlStreams;
import dev.tether.testkit.k8s.StreamChecks;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.TestNode;
import dev.tether.testkit.k8s.WithKubernetes;
import dev.tether.testkit.process.FreePort;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Proves the test node: the real kubectl, straight at the control plane, runs exec, cp, attach and
 * port-forward against a pod on it, over WebSocket and over SPDY, byte for byte.
 */
@WithKubernetes
class TestNodeSmokeTest {
  private static final int BYTES = 4 * 1024 * 1024;
  private static TestNode node;

  @BeforeAll
  static void startNode(KubeControlPlane plane) {
    node = TestNode.start(plane, Path.of(System.getProperty("tether.test.workdir", "target"), "test-node"));
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(KubectlStreams.Protocol.class)
  @DisplayName("kubectl exec -i cat, exec's exit code, cp in and out, port-forward and attach -i carry bytes unchanged")
  void streams(KubectlStreams.Protocol protocol, KubeControlPlane plane, TestNamespace ns, @TempDir Path scratch) {
    int webPort = FreePort.pick();
    node.runPod(ns.name(), "streams", StreamChecks.containers(webPort));
    KubectlStreams kubectl = new KubectlStreams(plane.binaries().kubectl(), plane.kubeconfig(), ns.name(), protocol, scratch);
    StreamChecks checks = new StreamChecks(kubectl, "streams", webPort);
    AuditLog audit = new AuditLog(plane);
    long mark = audit.mark();

    checks.all(scratch, BYTES, null);
    // kubectl really spoke the protocol asked for: the API server saw every stream request with its verb.
    assertThat(audit.awaitStreamRequests(mark)).extracting(e -> e.path("verb").asText()).containsOnly(protocol.auditVerb());
  }

  @Test
  @DisplayName("the node is a Ready Node, and a pod's commands run in the pod's work folder on this machine")
  void podRunsLocally(KubeControlPlane plane, TestNamespace ns, KubernetesClient client, @TempDir Path scratch) {
    node.runPod(ns.name(), "local", StreamChecks.containers(FreePort.pick()));
    KubectlStreams kubectl = new KubectlStreams(plane.binaries().kubectl(), plane.kubeconfig(), ns.name(),
        KubectlStreams.Protocol.WEBSOCKET, scratch);

    String pwd = new String(kubectl.exec("local", StreamChecks.EXEC_CONTAINER, null, "pwd").orThrow().stdout(),
        StandardCharsets.UTF_8).strip();

    assertThat(Path.of(pwd)).isEqualTo(node.podDir(ns.name(), "local").toAbsolutePath());
    assertThat(plane.runKubectl("get", "node", node.name(), "-o",
        "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}").orThrow().stdout()).isEqualTo("True");
    assertThat(client.pods().withName("local").get().getStatus().getPhase()).isEqualTo("Running");
  }
}
