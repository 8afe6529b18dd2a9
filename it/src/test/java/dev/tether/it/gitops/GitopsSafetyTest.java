package dev.tether.it.gitops;

import static dev.tether.it.support.GitopsSetup.configMap;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.agent.gitops.Phase;
import dev.tether.agent.gitops.SyncOutcome;
import dev.tether.it.support.GitopsSetup;
import dev.tether.testkit.git.GitDaemon;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.WithKubernetes;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Deletion needs certainty: nothing is pruned after a failed fetch, parse or dry run, or an unexpectedly empty selection. */
@WithKubernetes
class GitopsSafetyTest {

  private static String config(TestNamespace ns, String extra) {
    return "gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns + "\n" + extra;
  }

  private static GitopsSetup synced(Path dir, KubeControlPlane plane, TestNamespace ns, String extra) {
    GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app");
    setup.manifests.write("a.yaml", configMap("alpha", "1")).write("b.yaml", configMap("beta", "1"));
    String commit = setup.manifests.commitAndPush("Two maps");
    setup.configure(config(ns, extra));
    setup.startAgent();
    assertThat(setup.awaitSync(commit).phase()).isEqualTo(Phase.SYNCED);
    return setup;
  }

  @Test
  @DisplayName("a malformed manifest: the error names file and line; nothing from that commit is applied and nothing is pruned")
  void malformedManifest(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = synced(dir, plane, ns, "")) {
      setup.manifests.write("a.yaml", configMap("alpha", "2")).delete("b.yaml")
          .write("broken.yaml", configMap("ok", "1") + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad\ndata: {}\n");

      SyncOutcome outcome = setup.awaitSync(setup.manifests.commitAndPush("Break it"));

      assertThat(outcome.phase()).isEqualTo(Phase.FAILED);
      assertThat(outcome.message()).contains("broken.yaml").contains("line").contains("nothing was applied or pruned");
      assertThat(client.configMaps().withName("alpha").get().getData()).containsEntry("value", "1");
      assertThat(client.configMaps().withName("beta").get()).as("not pruned").isNotNull();
      assertThat(client.configMaps().withName("ok").get()).as("nothing of the commit applied").isNull();
    }
  }

  @Test
  @DisplayName("dry_run_strategy server: one object the API server refuses means nothing from that commit is applied")
  void serverDryRunFails(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = synced(dir, plane, ns, "      dry_run_strategy: server\n")) {
      setup.manifests.write("a.yaml", configMap("alpha", "2")).write("c.yaml", configMap("gamma", "1"))
          .write("bad.yaml", """
              apiVersion: apps/v1
              kind: Deployment
              metadata:
                name: no-selector
              spec:
                template:
                  metadata: {labels: {app: x}}
                  spec: {containers: [{name: x, image: x}]}
              """);

      SyncOutcome outcome = setup.awaitSync(setup.manifests.commitAndPush("One invalid deployment"));

      assertThat(outcome.phase()).isEqualTo(Phase.FAILED);
      assertThat(outcome.message()).contains("nothing from this commit was applied");
      assertThat(outcome.objects()).filteredOn(o -> o.key().name().equals("no-selector")).singleElement()
          .satisfies(o -> assertThat(o.message()).contains("server dry run refused it").contains("selector"));
      assertThat(client.configMaps().withName("alpha").get().getData()).containsEntry("value", "1");
      assertThat(client.configMaps().withName("gamma").get()).isNull();
    }
  }

  @Test
  @DisplayName("Git host down: nothing is pruned, and the status says why")
  void gitHostDown(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app");
    GitDaemon daemon = GitDaemon.serve(dir.resolve("repos"));
    try (setup) {
      setup.tether.addProject("team/remote", daemon.url(setup.manifests), Map.of());
      setup.manifests.write("a.yaml", configMap("alpha", "1")).write("b.yaml", configMap("beta", "1"));
      String commit = setup.manifests.commitAndPush("Two maps");
      setup.configure("gitops:\n  manifest_projects:\n    - id: team/remote\n      default_namespace: " + ns + "\n");
      setup.startAgent();
      assertThat(setup.awaitSync("team/remote", commit).phase()).isEqualTo(Phase.SYNCED);

      daemon.close();
      setup.manifests.delete("b.yaml").commitAndPush("Remove beta while the host is down");

      await().atMost(Duration.ofSeconds(20)).until(() -> setup.agent().gitops().outcome("team/remote")
          .map(o -> o.phase() == Phase.FAILED).orElse(false));
      assertThat(setup.agent().gitops().outcome("team/remote").get().message())
          .contains("manifests unavailable, nothing applied or pruned").contains("cannot fetch project 'team/remote'");
      assertThat(client.configMaps().withName("beta").get()).isNotNull();
      await().atMost(Duration.ofSeconds(10)).until(() -> {
        JsonNode syncs = setup.tether.api().get("/api/v1/agents/prod/gitops");
        return syncs.size() == 1 && syncs.get(0).get("phase").asText().equals("failed");
      });
      assertThat(setup.tether.api().get("/api/v1/agents/prod/gitops").get(0).get("message").asText()).contains("cannot fetch");
    }
  }

  @Test
  @DisplayName("a commit that selects nothing prunes nothing unless prune_when_empty says so")
  void emptySelection(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = synced(dir, plane, ns, "")) {
      setup.manifests.delete("a.yaml").delete("b.yaml");
      String empty = setup.manifests.commitAndPush("Empty the repository");

      SyncOutcome outcome = setup.awaitSync(empty);

      assertThat(outcome.phase()).isEqualTo(Phase.FAILED);
      assertThat(outcome.message()).contains("select no objects").contains("prune_when_empty: true");
      assertThat(client.configMaps().withName("alpha").get()).isNotNull();

      setup.configure(config(ns, "      prune_when_empty: true\n"));
      await().atMost(Duration.ofSeconds(30)).until(() -> client.configMaps().withName("alpha").get() == null
          && client.configMaps().withName("beta").get() == null);
    }
  }

  @Test
  @DisplayName("prune: false keeps what left Git and says so")
  void pruneDisabled(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = synced(dir, plane, ns, "      prune: false\n")) {
      setup.manifests.delete("b.yaml");

      SyncOutcome outcome = setup.awaitSync(setup.manifests.commitAndPush("Remove beta"));

      assertThat(outcome.phase()).isEqualTo(Phase.SYNCED);
      assertThat(outcome.message()).contains("1 objects left Git but were not deleted (prune: false)");
      assertThat(client.configMaps().withName("beta").get()).isNotNull();
    }
  }

  @Test
  @DisplayName("a field the API does not know (a typo in Git) fails that object with the field named")
  void unknownFieldIsAnError(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      setup.manifests.write("typo.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: typo\ndta:\n  value: x\n");
      String commit = setup.manifests.commitAndPush("A typo");
      setup.configure(config(ns, ""));
      setup.startAgent();

      SyncOutcome outcome = setup.awaitSync(commit);

      assertThat(outcome.phase()).isEqualTo(Phase.FAILED);
      assertThat(outcome.objects()).singleElement().satisfies(o -> {
        assertThat(o.message()).contains(".dta: field not declared in schema");
        assertThat(o.file()).contains("typo.yaml");
      });
      assertThat(client.configMaps().withName("typo").get()).isNull();
    }
  }
}
