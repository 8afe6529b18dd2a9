package dev.tether.it.gitops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.tether.agent.gitops.Phase;
import dev.tether.agent.gitops.SyncOutcome;
import dev.tether.it.support.GitopsSetup;
import dev.tether.testkit.git.GitRepository;
import dev.tether.testkit.k8s.AuditLog;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.WithKubernetes;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ordering on a real API server with the real agent and server: sync waves within a source (Argo CD's
 * annotation and Tether's), each wave healthy before the next, prune in reverse wave order; and
 * {@code depends_on} between sources. The order is read from the API server's audit log.
 *
 * <p>The test control plane runs no deployment controller, so a Deployment never becomes available
 * by itself: the test writes its status through the status subresource, as the controller would once
 * its pods were ready. That is how "waits for healthy" is shown: nothing of the next wave (or the
 * dependent source) is written until the test does so.
 */
@WithKubernetes
class GitopsOrderTest {
  private static final String AGENT = "tether-agent/";

  private static final String CRD = """
      apiVersion: apiextensions.k8s.io/v1
      kind: CustomResourceDefinition
      metadata:
        name: widgets.waves.tether.test
        annotations: {argocd.argoproj.io/sync-wave: "-1"}
      spec:
        group: waves.tether.test
        scope: Namespaced
        names: {plural: widgets, singular: widget, kind: Widget}
        versions:
          - name: v1
            served: true
            storage: true
            schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
      """;

  private static String inWave(String manifest, String annotation, String wave) {
    return manifest.replace("metadata:\n", "metadata:\n  annotations: {" + annotation + ": \"" + wave + "\"}\n");
  }

  private static List<String> writes(AuditLog audit, long mark, String verb) {
    return audit.writesSince(mark, AGENT).stream().filter(w -> w.path("verb").asText().equals(verb))
        .map(w -> w.path("objectRef").path("name").asText()).filter(n -> !n.startsWith("inventory-")).distinct().toList();
  }

  private static String admin(GitopsSetup setup, String... args) {
    List<String> command = new java.util.ArrayList<>(List.of("admin"));
    command.addAll(List.of(args));
    command.addAll(List.of("--server-url", setup.tether.server().httpUrl(), "--admin-token-file",
        setup.tether.server().adminTokenFile().toString()));
    return dev.tether.testkit.tether.TetherJar.run(command.toArray(String[]::new)).run().orThrow().stdout();
  }

  private static JsonNode entry(GitopsSetup setup, String project) {
    for (JsonNode s : setup.tether.agentStatus(setup.agentName).get("gitops")) {
      if (s.get("project").asText().equals(project)) {
        return s;
      }
    }
    return MissingNode.getInstance(); // not reported yet
  }

  /** The entry as the applications API shows it: its row in the list, and the application of its source page. */
  private static List<JsonNode> application(GitopsSetup setup, String project) {
    for (JsonNode a : setup.tether.api().get("/api/v1/applications")) {
      if (a.get("agent").asText().equals(setup.agentName) && a.get("project").asText().equals(project)) {
        JsonNode detail = setup.tether.api().get("/api/v1/agents/" + setup.agentName + "/sources/" + a.get("inventory_id").asText());
        return List.of(a, detail.get("application"));
      }
    }
    throw new AssertionError(project + " is not in /api/v1/applications");
  }

  @Test
  @DisplayName("waves -1, 0, 1: each applied and healthy before the next (the status shows the wave), pruned highest wave first")
  void wavesApplyInOrderAndPruneInReverse(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      String commit = setup.manifests
          .write("crd.yaml", CRD)
          .write("early.yaml", inWave(GitopsSetup.configMap("early", "-1"), "argocd.argoproj.io/sync-wave", "-1"))
          .write("widget.yaml", "apiVersion: waves.tether.test/v1\nkind: Widget\nmetadata:\n  name: w1\nspec: {size: 1}\n")
          .write("db.yaml", GitopsSetup.deploymentInWave("db", "0"))
          .write("settings.yaml", GitopsSetup.configMap("settings", "0"))
          .write("app.yaml", inWave(GitopsSetup.configMap("app", "1"), "tether.dev/sync-wave", "1"))
          .commitAndPush("Three waves");
      setup.configure("gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns
          + "\n      reconcile_timeout: 60s\n");
      AuditLog audit = new AuditLog(plane);
      long mark = audit.mark();
      setup.startAgent();

      // Wave 0 is applied, and its Deployment is not available: the status says so, and wave 1 waits.
      await().atMost(Duration.ofSeconds(40)).untilAsserted(() -> {
        JsonNode s = entry(setup, "team/app");
        assertThat(s.path("phase").asText()).isEqualTo("syncing");
        assertThat(s.path("wave").isInt() ? s.get("wave").asInt() : null).isEqualTo(0);
        assertThat(s.path("waves").asInt()).isEqualTo(3);
        assertThat(s.path("message").asText()).endsWith("applying wave 0 (2 of 3)");
        assertThat(client.apps().deployments().withName("db").get()).isNotNull();
      });
      for (JsonNode a : application(setup, "team/app")) {
        assertThat(a.path("phase").asText()).as(a.toString()).isEqualTo("syncing");
        assertThat(a.path("wave").isInt() ? a.get("wave").asInt() : null).as(a.toString()).isEqualTo(0);
        assertThat(a.path("waves").asInt()).as(a.toString()).isEqualTo(3);
        assertThat(a.path("waiting_for")).as(a.toString()).isEmpty();
      }
      await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
          .until(() -> client.configMaps().withName("app").get() == null);
      assertThat(writes(audit, mark, "patch")).doesNotContain("app");
      String status = admin(setup, "status");
      System.out.println("[order] tether admin status during wave 0:\n" + status);
      assertThat(status).contains("syncing wave 0 (3 waves)");

      GitopsSetup.makeAvailable(client, "db");
      SyncOutcome synced = setup.awaitSync(commit);

      assertThat(synced.phase()).as(synced.message() + "\n" + synced.changes()).isEqualTo(Phase.SYNCED);
      List<String> applied = writes(audit, mark, "patch");
      assertThat(applied).as("the agent's applies in order").containsExactlyInAnyOrder(
          "widgets.waves.tether.test", "early", "w1", "db", "settings", "app");
      int lastOfWaveMinus1 = Math.max(applied.indexOf("widgets.waves.tether.test"), applied.indexOf("early"));
      int firstOfWave0 = List.of("w1", "db", "settings").stream().mapToInt(applied::indexOf).min().orElseThrow();
      int lastOfWave0 = List.of("w1", "db", "settings").stream().mapToInt(applied::indexOf).max().orElseThrow();
      assertThat(lastOfWaveMinus1).as(applied.toString()).isLessThan(firstOfWave0);
      assertThat(lastOfWave0).as(applied.toString()).isLessThan(applied.indexOf("app"));
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        JsonNode s = entry(setup, "team/app");
        assertThat(s.path("phase").asText()).isEqualTo("synced");
        assertThat(s.path("wave").isNull()).as("no wave once the sync finished: " + s).isTrue();
      });
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        for (JsonNode a : application(setup, "team/app")) {
          assertThat(a.path("phase").asText()).as(a.toString()).isEqualTo("synced");
          assertThat(a.path("wave").isNull() && a.path("waves").isNull()).as("no wave once the sync finished: " + a).isTrue();
        }
      });

      // The objects of all three waves leave Git but the CRD, its Widget and the Deployment: the highest wave goes first.
      long pruneMark = audit.mark();
      String fewer = setup.manifests.delete("early.yaml").delete("settings.yaml").delete("app.yaml").commitAndPush("Fewer");
      SyncOutcome pruned = setup.awaitSync(fewer);

      assertThat(pruned.phase()).as(pruned.message() + "\n" + pruned.changes()).isEqualTo(Phase.SYNCED);
      assertThat(writes(audit, pruneMark, "delete")).containsExactly("app", "settings", "early");
    }
  }

  @Test
  @DisplayName("depends_on: the app waits for infra to be synced and healthy (status: waiting for infra); a cycle is refused with its place")
  void aSourceWaitsForTheSourcesItDependsOn(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      GitRepository infra = GitRepository.create(dir.resolve("repos"), "infra");
      setup.tether.addProject("team/infra", infra.bareDir().toString(), Map.of());
      String infraCommit = infra.write("db.yaml", GitopsSetup.deploymentInWave("db", "0")).commitAndPush("A database");
      String appCommit = setup.manifests.write("app.yaml", GitopsSetup.configMap("app", "v1")).commitAndPush("The app");
      String config = "gitops:\n  manifest_projects:\n"
          + "    - id: team/app\n      default_namespace: " + ns + "\n      depends_on: [infra]\n"
          + "    - id: team/infra\n      name: infra\n      default_namespace: " + ns + "\n";
      setup.configure(config);
      AuditLog audit = new AuditLog(plane);
      long mark = audit.mark();
      setup.startAgent();

      SyncOutcome infraSynced = setup.awaitSync("team/infra", infraCommit);
      assertThat(infraSynced.phase()).isEqualTo(Phase.SYNCED);
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        JsonNode app = entry(setup, "team/app");
        assertThat(app.path("phase").asText()).isEqualTo("syncing");
        assertThat(app.path("waiting_for")).extracting(JsonNode::asText).containsExactly("infra");
        assertThat(app.path("message").asText()).startsWith("waiting for source infra (")
            .contains("apps/Deployment " + ns + "/db is in progress");
      });
      for (JsonNode a : application(setup, "team/app")) {
        assertThat(a.path("phase").asText()).as(a.toString()).isEqualTo("syncing");
        assertThat(a.path("waiting_for")).as(a.toString()).extracting(JsonNode::asText).containsExactly("infra");
        assertThat(a.path("wave").isNull()).as(a.toString()).isTrue();
      }
      await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
          .until(() -> client.configMaps().withName("app").get() == null);

      assertThat(writes(audit, mark, "patch")).doesNotContain("app");
      String status = admin(setup, "status");
      System.out.println("[order] tether admin status while team/app waits:\n" + status);
      assertThat(status).contains("syncing (waiting for infra)");
      long healthyMark = audit.mark();
      GitopsSetup.makeAvailable(client, "db");
      SyncOutcome appSynced = setup.awaitSync("team/app", appCommit);

      assertThat(appSynced.phase()).as(appSynced.message()).isEqualTo(Phase.SYNCED);
      assertThat(writes(audit, mark, "patch")).as("the app's first apply comes after infra's").containsSubsequence("db", "app");
      assertThat(writes(audit, healthyMark, "patch")).as("and only once db is available").contains("app");
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(entry(setup, "team/app").path("waiting_for")).isEmpty());
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> application(setup, "team/app")
          .forEach(a -> assertThat(a.path("waiting_for")).as(a.toString()).isEmpty()));

      // Infra now depends on the app too: a cycle, refused with its place; the last valid configuration stays in use.
      setup.configure(config.replace("      name: infra\n", "      name: infra\n      depends_on: [team/app]\n"));
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        JsonNode state = setup.tether.api().get("/api/v1/agents/prod/config").get("state");
        assertThat(state.get("state").asText()).isEqualTo("invalid");
        assertThat(state.at("/errors/0/path").asText()).isEqualTo("gitops.manifest_projects[1].depends_on[0]");
        assertThat(state.at("/errors/0/line").asInt()).isEqualTo(8);
        assertThat(state.at("/errors/0/message").asText())
            .startsWith("depends_on forms a cycle: team/app -> infra -> team/app");
      });
      assertThat(entry(setup, "team/app").path("phase").asText()).isEqualTo("synced");
    }
  }
}
