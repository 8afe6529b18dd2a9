package dev.tether.it.gitops;

import static dev.tether.it.support.GitopsSetup.configMap;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.agent.gitops.Action;
import dev.tether.agent.gitops.ObjectResult;
import dev.tether.agent.gitops.Phase;
import dev.tether.agent.gitops.SyncOutcome;
import dev.tether.it.support.GitopsSetup;
import dev.tether.testkit.k8s.AuditLog;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.WithKubernetes;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Drift, no wasted work, and refs. */
@WithKubernetes
class GitopsDriftAndRefsTest {

  private static String config(TestNamespace ns, String extra) {
    return "gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns + "\n" + extra;
  }

  @Test
  @DisplayName("drift: correct (the default) puts a changed or deleted object back within 5 s")
  void driftCorrected(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      setup.manifests.write("a.yaml", configMap("settings", "blue")).write("b.yaml", configMap("other", "x"));
      String commit = setup.manifests.commitAndPush("Settings");
      setup.configure(config(ns, ""));
      setup.startAgent();
      assertThat(setup.awaitSync(commit).phase()).isEqualTo(Phase.SYNCED);

      client.configMaps().withName("settings").edit(cm -> {
        cm.getData().put("value", "red");
        return cm;
      });
      Instant changed = Instant.now();
      await().atMost(Duration.ofSeconds(5)).until(() -> "blue".equals(client.configMaps().withName("settings").get().getData().get("value")));
      System.out.printf("[drift] changed field corrected in %d ms%n", Duration.between(changed, Instant.now()).toMillis());

      client.configMaps().withName("other").delete();
      Instant deleted = Instant.now();
      await().atMost(Duration.ofSeconds(5)).until(() -> client.configMaps().withName("other").get() != null
          && client.configMaps().withName("other").get().getMetadata().getDeletionTimestamp() == null);
      System.out.printf("[drift] deleted object re-created in %d ms%n", Duration.between(deleted, Instant.now()).toMillis());
      await().atMost(Duration.ofSeconds(5)).until(() -> setup.agent().gitops().outcome("team/app").orElseThrow()
          .objects().stream().anyMatch(o -> o.message().startsWith("drift corrected")));
    }
  }

  /**
   * Syncs ConfigMap settings (value blue) with {@code extra} added to the entry, changes its value to red
   * out of band, and returns the object's result once the agent reports {@code action} for it.
   */
  private static ObjectResult changedOutOfBand(GitopsSetup setup, KubernetesClient client, TestNamespace ns, String extra,
      String action) {
    setup.manifests.write("a.yaml", configMap("settings", "blue"));
    String commit = setup.manifests.commitAndPush("Settings");
    setup.configure(config(ns, extra));
    setup.startAgent();
    assertThat(setup.awaitSync(commit).phase()).isEqualTo(Phase.SYNCED);

    client.configMaps().withName("settings").edit(cm -> {
      cm.getData().put("value", "red");
      return cm;
    });

    await().atMost(Duration.ofSeconds(10)).until(() -> setup.agent().gitops().outcome("team/app").orElseThrow()
        .objects().stream().anyMatch(o -> o.action().wireName().equals(action)));
    return setup.agent().gitops().outcome("team/app").get().objects().get(0);
  }

  @Test
  @DisplayName("drift: report only says which field drifted and leaves the object alone")
  void driftReported(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      ObjectResult drifted = changedOutOfBand(setup, client, ns, "      drift: report\n", "drifted");

      assertThat(setup.agent().gitops().outcome("team/app").get().objects()).hasSize(1);
      assertThat(drifted.message()).contains("field .data.value differs from Git");
      assertThat(client.configMaps().withName("settings").get().getData()).containsEntry("value", "red");
    }
  }

  @Test
  @DisplayName("force_conflicts: false leaves a field another manager changed out of band, and says so")
  void driftWithoutForceIsAConflict(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      ObjectResult refused = changedOutOfBand(setup, client, ns, "      force_conflicts: false\n", "failed");

      assertThat(setup.agent().gitops().outcome("team/app").get().objects()).hasSize(1);
      assertThat(refused.message()).startsWith("drift could not be corrected").contains("conflict")
          .contains("set force_conflicts: true");
      assertThat(client.configMaps().withName("settings").get().getData()).containsEntry("value", "red");
    }
  }

  @Test
  @DisplayName("a resync that skips what the watch saw unchanged still puts back a changed and a deleted object")
  void resyncSkippingUnchangedObjectsStillCorrects(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client,
      TestNamespace ns) {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      setup.manifests.write("a.yaml", configMap("settings", "blue")).write("b.yaml", configMap("other", "x"));
      String commit = setup.manifests.commitAndPush("Settings");
      // drift: report, so that only the resyncs (not the watch's drift correction) can put objects back.
      setup.configure(config(ns, "      drift: report\n      resync_interval: 1s\n"));
      setup.startAgent();
      SyncOutcome first = setup.awaitSync(commit);
      assertThat(first.phase()).isEqualTo(Phase.SYNCED);

      // The skip path is taken: a whole resync that read no ConfigMap of the namespace (only the inventory, by name).
      AuditLog audit = new AuditLog(plane);
      await().atMost(Duration.ofSeconds(20)).until(() -> {
        long mark = audit.mark();
        Instant asked = Instant.now();
        await().atMost(Duration.ofSeconds(10)).until(() -> setup.agent().gitops().outcome("team/app")
            .map(o -> o.finished().isAfter(asked.plusMillis(1100)) && o.phase() == Phase.SYNCED).orElse(false));
        return audit.requestsSince(mark, "tether-agent/").stream()
            .noneMatch(r -> "list".equals(r.path("verb").asText()) && "configmaps".equals(r.path("objectRef").path("resource").asText())
                && ns.toString().equals(r.path("objectRef").path("namespace").asText()));
      });
      SyncOutcome skipping = setup.agent().gitops().outcome("team/app").orElseThrow();
      assertThat(skipping.count(Action.UNCHANGED)).isEqualTo(2);
      long beforeDrift = audit.mark();

      client.configMaps().inNamespace(ns.toString()).withName("settings").edit(cm -> {
        cm.getData().put("value", "red");
        return cm;
      });
      await().atMost(Duration.ofSeconds(10)).until(() -> "blue".equals(
          client.configMaps().inNamespace(ns.toString()).withName("settings").get().getData().get("value")));

      client.configMaps().inNamespace(ns.toString()).withName("other").delete();
      await().atMost(Duration.ofSeconds(10)).until(() -> {
        var other = client.configMaps().inNamespace(ns.toString()).withName("other").get();
        return other != null && other.getMetadata().getDeletionTimestamp() == null;
      });
      assertThat(audit.writesSince(beforeDrift, "tether-agent/")).as("the resyncs wrote the objects back")
          .anyMatch(w -> w.path("objectRef").path("name").asText().equals("settings"))
          .anyMatch(w -> w.path("objectRef").path("name").asText().equals("other"));
    }
  }

  @Test
  @DisplayName("a resync of an unchanged commit makes zero write requests to the API server (counted in its audit log)")
  void noopResyncWritesNothing(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      StringBuilder many = new StringBuilder();
      for (int i = 0; i < 50; i++) {
        many.append("---\n").append(configMap("cm-" + i, "v" + i));
      }
      setup.manifests.write("many.yaml", many.toString()).write("deploy.yaml", """
          apiVersion: apps/v1
          kind: Deployment
          metadata: {name: web}
          spec:
            replicas: 1
            selector: {matchLabels: {app: web}}
            template:
              metadata: {labels: {app: web}}
              spec:
                containers:
                  - name: web
                    image: registry.example.com/web:1.0
                    ports: [{containerPort: 8080}]
                    resources: {limits: {cpu: 1000m, memory: 128Mi}}
          """);
      String commit = setup.manifests.commitAndPush("Fifty maps and a deployment");
      setup.configure(config(ns, "      resync_interval: 1s\n"));
      setup.startAgent();
      SyncOutcome first = setup.awaitSync(commit);
      assertThat(first.phase()).isEqualTo(Phase.SYNCED);
      AuditLog audit = new AuditLog(plane);
      long mark = audit.mark();

      // With resync_interval 1s, a sync that started 2.5 s after the first ended is at least the second resync.
      Instant after = first.finished().plusMillis(2500);
      await().atMost(Duration.ofSeconds(20)).until(() -> setup.agent().gitops().outcome("team/app")
          .map(o -> o.started().isAfter(after) && o.phase() == Phase.SYNCED).orElse(false));

      List<JsonNode> writes = audit.writesSince(mark, "tether-agent/");
      assertThat(writes).as("writes made by resyncs: " + writes).isEmpty();
      assertThat(audit.requestsSince(mark, "tether-agent/")).as("the resyncs did read").isNotEmpty();
      assertThat(setup.agent().gitops().outcome("team/app").get().count(Action.UNCHANGED)).isEqualTo(51);
    }
  }

  @Test
  @DisplayName("refs: a branch, a tag and a fixed commit each select their own manifests")
  void refsByBranchTagAndCommit(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      String pinned = setup.manifests.write("a.yaml", configMap("settings", "pinned")).commitAndPush("v1");
      setup.manifests.tag("v1.0.0");
      setup.manifests.write("a.yaml", configMap("settings", "release")).commitAndPush("release");
      setup.manifests.pushBranch("release");
      String main = setup.manifests.write("a.yaml", configMap("settings", "main")).commitAndPush("main moves on");

      setup.configure(config(ns, "      ref: {branch: release}\n"));
      setup.startAgent();
      await().atMost(Duration.ofSeconds(30)).until(() -> "release".equals(value(client)));

      setup.configure(config(ns, "      ref: {tag: v1.0.0}\n"));
      await().atMost(Duration.ofSeconds(30)).until(() -> "pinned".equals(value(client)));
      // The object changes a moment before the sync's outcome is recorded.
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(setup.agent().gitops().outcome("team/app")).hasValueSatisfying(o -> assertThat(o.commit()).isEqualTo(pinned)));

      setup.configure(config(ns, "      ref: {commit: " + main + "}\n"));
      await().atMost(Duration.ofSeconds(30)).until(() -> "main".equals(value(client)));

      setup.manifests.write("a.yaml", configMap("settings", "later")).commitAndPush("after the pinned commit");
      setup.configure(config(ns, "      ref: {commit: " + main + "}\n      reconcile_timeout: 10m\n"));
      await().atMost(Duration.ofSeconds(30)).until(() -> setup.agent().gitops().outcome("team/app")
          .map(o -> o.commit().equals(main) && o.phase() == Phase.SYNCED).orElse(false));
      assertThat(value(client)).as("a fixed commit does not follow the branch").isEqualTo("main");
    }
  }

  private static String value(KubernetesClient client) {
    var cm = client.configMaps().withName("settings").get();
    return cm == null ? null : cm.getData().get("value");
  }
}
