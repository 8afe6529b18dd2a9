package dev.tether.it.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.it.support.GitopsSetup;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.WithKubernetes;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live tree reads each kind in pages (limit and continue, 500 a page) through the agent's tunnel,
 * up to a cap, and says which lists the cap cut. A real API server with 520 Pods under one workload.
 */
@WithKubernetes
class LiveTreePagesTest {
  private static final int PODS = 520;

  @Test
  @DisplayName("520 Pods are read in two pages; with max_per_kind=300 the tree shows 300 and says the Pod list was cut")
  void pagedAndCapped(@TempDir Path dir, KubeControlPlane plane, TestNamespace ns) throws Exception {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app");
        KubernetesClient client = plane.newAdminClient(ns.name())) {
      setup.manifests.write("web.yaml", """
          apiVersion: apps/v1
          kind: Deployment
          metadata: {name: web}
          spec:
            replicas: 1
            selector: {matchLabels: {app: web}}
            template:
              metadata: {labels: {app: web}}
              spec: {containers: [{name: web, image: nginx:1.27}]}
          """);
      String commit = setup.manifests.commitAndPush("A workload");
      setup.configure("gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns + "\n");
      setup.startAgent();
      setup.awaitSync(commit);

      // No controllers run here: the test makes the ReplicaSet and Pods a Deployment would have.
      Deployment web = client.apps().deployments().withName("web").get();
      ReplicaSet replicaSet = client.apps().replicaSets().resource(new ReplicaSetBuilder().withNewMetadata().withName("web-5d9c7")
          .addNewOwnerReference().withApiVersion("apps/v1").withKind("Deployment").withName("web").withUid(web.getMetadata().getUid())
          .withController(true).endOwnerReference().endMetadata().withNewSpec().withReplicas(PODS)
          .withNewSelector().withMatchLabels(Map.of("app", "web")).endSelector()
          .withNewTemplate().withNewMetadata().withLabels(Map.of("app", "web")).endMetadata().withNewSpec().addNewContainer()
          .withName("web").withImage("nginx:1.27").endContainer().endSpec().endTemplate().endSpec().build()).create();
      IntStream.range(0, PODS).parallel().forEach(i -> client.pods().resource(new PodBuilder().withNewMetadata()
          .withName(String.format("web-5d9c7-%04d", i)).withLabels(Map.of("app", "web")).addNewOwnerReference()
          .withApiVersion("apps/v1").withKind("ReplicaSet").withName("web-5d9c7").withUid(replicaSet.getMetadata().getUid())
          .withController(true).endOwnerReference().endMetadata().withNewSpec().addNewContainer().withName("web")
          .withImage("nginx:1.27").endContainer().endSpec().build()).create());

      String source = "/api/v1/agents/prod/sources/" + setup.tether.api().get("/api/v1/applications").get(0).get("inventory_id").asText();
      JsonNode whole = setup.tether.api().get(source + "/tree");
      assertThat(whole.get("error").isNull()).as("error: %s", whole.get("error")).isTrue();
      assertThat(pods(whole)).as("every Pod, over two pages").isEqualTo(PODS);
      assertThat(whole.get("capped")).isEmpty();

      JsonNode cut = setup.tether.api().get(source + "/tree?max_per_kind=300");
      assertThat(pods(cut)).isEqualTo(300);
      assertThat(cut.get("capped").toString()).contains("Pod in " + ns + ": only the first 300 were read");
      assertThat(setup.tether.api().send("GET", source + "/tree?max_per_kind=20000", null,
          Map.of("Authorization", "Bearer " + setup.tether.adminToken())).status()).isEqualTo(400);
    }
  }

  private static long pods(JsonNode tree) {
    return StreamSupport.stream(tree.get("children").spliterator(), false).filter(c -> c.get("kind").asText().equals("Pod")).count();
  }
}
