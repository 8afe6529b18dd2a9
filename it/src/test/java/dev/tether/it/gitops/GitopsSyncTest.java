package dev.tether.it.gitops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.agent.gitops.SyncOutcome;
import dev.tether.it.support.GitopsSetup;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.WithKubernetes;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The GitOps path end to end: Git → server → agent → API server, and back as status. */
@WithKubernetes
class GitopsSyncTest {

  private static String configMap(String name, String value) {
    return """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: %s
        data:
          value: "%s"
        """.formatted(name, value);
  }

  @Test
  @DisplayName("new objects are applied with server-side apply and recorded in a cli-utils inventory; status reaches the API")
  void newObjectsApplied(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      setup.manifests.write("manifests/settings.yaml", configMap("settings", "blue"));
      setup.manifests.write("manifests/deploy.yaml", """
          apiVersion: apps/v1
          kind: Deployment
          metadata:
            name: web
          spec:
            replicas: 2
            selector: {matchLabels: {app: web}}
            template:
              metadata: {labels: {app: web}}
              spec:
                containers:
                  - name: web
                    image: registry.example.com/web:1.0
                    resources: {requests: {cpu: 100m, memory: 64Mi}}
          """);
      String commit = setup.manifests.commitAndPush("Add the app");
      setup.configure("gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns + "\n");
      setup.startAgent();

      SyncOutcome outcome = setup.awaitSync(commit);

      assertThat(outcome.phase()).as(outcome.message()).isEqualTo("synced");
      assertThat(outcome.count("created")).isEqualTo(2);
      ConfigMap settings = client.configMaps().withName("settings").get();
      assertThat(settings.getData()).containsEntry("value", "blue");
      assertThat(settings.getMetadata().getAnnotations()).containsEntry("config.k8s.io/owning-inventory", "prod-team.app");
      assertThat(settings.getMetadata().getManagedFields()).extracting(m -> m.getManager()).contains("tether");
      ConfigMap inventory = client.configMaps().withName("inventory-prod-team.app").get();
      assertThat(inventory.getMetadata().getLabels()).containsEntry("cli-utils.sigs.k8s.io/inventory-id", "prod-team.app");
      assertThat(inventory.getData()).containsOnlyKeys(ns + "_settings__ConfigMap", ns + "_web_apps_Deployment");
      assertThat(outcome.objects()).filteredOn(o -> o.key().kind().equals("Deployment")).singleElement()
          .satisfies(o -> assertThat(o.health()).isEqualTo("InProgress"));

      await().atMost(Duration.ofSeconds(10)).until(() -> {
        JsonNode syncs = setup.tether.api().get("/api/v1/agents/prod/gitops");
        return syncs.size() == 1 && syncs.get(0).get("phase").asText().equals("synced");
      });
      JsonNode status = setup.tether.api().get("/api/v1/agents/prod/gitops").get(0);
      assertThat(status.get("project").asText()).isEqualTo("team/app");
      assertThat(status.get("commit").asText()).isEqualTo(commit);
      assertThat(status.get("applied").asInt()).isEqualTo(2);
      assertThat(status.get("objects")).hasSize(2);
    }
  }
}
