package dev.tether.it.foundation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.WithKubernetes;
import dev.tether.testkit.process.ProcessResult;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Proves the real kubectl, run as a process, talks to the test control plane. */
@WithKubernetes
class KubectlSmokeTest {

  @Test
  @DisplayName("kubectl --kubeconfig <admin> get namespaces runs as a process and lists the test namespace")
  void kubectlGetNamespaces(KubeControlPlane plane, TestNamespace ns) {
    ProcessResult result = plane.runKubectl("get", "namespaces", "-o", "name").orThrow();

    assertThat(result.stdout().lines()).contains("namespace/" + ns.name(), "namespace/default", "namespace/kube-system");
  }

  @Test
  @DisplayName("kubectl apply --server-side -f creates objects owned by kubectl's field manager")
  void kubectlServerSideApply(KubeControlPlane plane, TestNamespace ns, KubernetesClient client, @TempDir Path dir)
      throws Exception {
    Path manifest = dir.resolve("app.yaml");
    Files.writeString(manifest, """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: app-config
        data:
          mode: production
        ---
        apiVersion: v1
        kind: ServiceAccount
        metadata:
          name: app
        """);

    ProcessResult result = plane.runKubectl("apply", "--server-side", "-n", ns.name(), "-f", manifest.toString()).orThrow();

    assertThat(result.stdout()).contains("configmap/app-config serverside-applied", "serviceaccount/app serverside-applied");
    ConfigMap stored = client.configMaps().withName("app-config").get();
    assertThat(stored.getData()).containsEntry("mode", "production");
    assertThat(stored.getMetadata().getManagedFields()).extracting(ManagedFieldsEntry::getManager).contains("kubectl");
    assertThat(client.serviceAccounts().withName("app").get()).isNotNull();
  }
}
