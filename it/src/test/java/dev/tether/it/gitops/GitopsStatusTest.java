package dev.tether.it.gitops;

import static dev.tether.it.support.GitopsSetup.configMap;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.agent.gitops.Action;
import dev.tether.agent.gitops.Phase;
import dev.tether.agent.gitops.SyncOutcome;
import dev.tether.it.support.GitopsSetup;
import dev.tether.testkit.k8s.AuditLog;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.WithKubernetes;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The status and the events tell the truth: which commit a report is of, what is not healthy, and why. */
@WithKubernetes
class GitopsStatusTest {

  @Test
  @DisplayName("a commit that changes no selected file gets a sync of its own (counts and time of that commit), with no write")
  void commitThatChangesNothingSelected(@TempDir Path dir, KubeControlPlane plane, TestNamespace ns) {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      setup.manifests.write("app/a.yaml", configMap("alpha", "1")).write("app/b.yaml", configMap("beta", "1"));
      String first = setup.manifests.commitAndPush("Two maps");
      setup.configure("gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns
          + "\n      paths: [ { glob: 'app/*.yaml' } ]\n");
      setup.startAgent();
      SyncOutcome synced = setup.awaitSync(first);
      assertThat(synced.count(Action.CREATED)).isEqualTo(2);

      AuditLog audit = new AuditLog(plane);
      long mark = audit.mark();
      setup.manifests.write("README.md", "Only the readme changes\n");
      String second = setup.manifests.commitAndPush("Readme");
      SyncOutcome moved = setup.awaitSync(second);

      assertThat(moved.phase()).isEqualTo(Phase.SYNCED);
      assertThat(moved.started()).as("a sync of its own, not the last report relabelled").isAfter(synced.finished());
      assertThat(moved.count(Action.UNCHANGED)).isEqualTo(2);
      assertThat(moved.count(Action.CREATED)).isZero();
      assertThat(audit.writesSince(mark, "tether-agent/")).isEmpty();
    }
  }

  @Test
  @DisplayName("objects not healthy within reconcile_timeout are reported Failed and announced by a warning event")
  void reconcileTimeoutIsAnnounced(@TempDir Path dir, KubeControlPlane plane, TestNamespace ns) {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      // No kubelet runs here: the Deployment's pods never start, so it never becomes available.
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
      String commit = setup.manifests.commitAndPush("A Deployment");
      setup.configure("gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns
          + "\n      reconcile_timeout: 3s\n");
      setup.startAgent();
      assertThat(setup.awaitSync(commit).phase()).isEqualTo(Phase.SYNCED);

      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        JsonNode events = setup.tether.api().get("/api/v1/events?agent=prod&kind=health").get("events");
        assertThat(events.toString()).contains("1 object(s) not healthy").contains("Deployment " + ns + "/web")
            .contains("not Current within reconcile_timeout (3s)");
      });
      assertThat(setup.agent().gitops().outcome("team/app").orElseThrow().objects())
          .anySatisfy(o -> assertThat(o.health().statusName()).isEqualTo("Failed"));

      // One command answers "why": the status names the project's inventory and the object that is not healthy.
      await().atMost(Duration.ofSeconds(10)).until(() -> setup.tether.agentStatus("prod").get("gitops").get(0).get("unhealthy").asInt() == 1);
      String status = admin(setup, "status");
      assertThat(status).contains("INVENTORY").contains(ns + "/")
          .contains("Deployment " + ns + "/web: Failed: not Current within reconcile_timeout (3s)");
      String shown = admin(setup, "agent", "show", "prod");
      assertThat(shown).contains("GitOps:         1 manifest project(s)").contains("team/app (inventory " + ns + "/")
          .contains("Deployment " + ns + "/web: Failed");
    }
  }

  private static String admin(GitopsSetup setup, String... args) {
    java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("admin"));
    command.addAll(java.util.List.of(args));
    command.addAll(java.util.List.of("--server-url", setup.tether.server().httpUrl(), "--admin-token-file",
        setup.tether.server().adminTokenFile().toString()));
    return dev.tether.testkit.tether.TetherJar.run(command.toArray(String[]::new)).run().orThrow().stdout();
  }

  @Test
  @DisplayName("a failure with no commit (the branch does not exist) reads 'Sync failed: …', not 'Sync failed at : …'")
  void failureWithoutACommit(@TempDir Path dir, KubeControlPlane plane, TestNamespace ns) {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      setup.configure("gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns
          + "\n      ref: { branch: does-not-exist }\n");
      setup.startAgent();

      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        JsonNode events = setup.tether.api().get("/api/v1/events?agent=prod&kind=sync").get("events");
        assertThat(events).isNotEmpty();
        assertThat(events.get(0).get("message").asText()).startsWith("Sync failed: ").doesNotContain(" at :");
      });
    }
  }
}
