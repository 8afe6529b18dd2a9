package dev.tether.it.gitops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.agent.gitops.Action;
import dev.tether.agent.gitops.HookPhase;
import dev.tether.agent.gitops.ObjectResult;
import dev.tether.agent.gitops.Phase;
import dev.tether.agent.gitops.SyncOutcome;
import dev.tether.it.support.GitopsSetup;
import dev.tether.testkit.k8s.AuditLog;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.WithKubernetes;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hooks as Argo CD runs them, on a real API server with the real agent: Helm's install/upgrade hooks
 * (rendered by the server from a chart) and Argo CD's own annotations (raw manifests) run in phases
 * around the sync, in order, only when the sync writes; test hooks never run; hooks are never pruned.
 *
 * <p>The test control plane has no job controller and no kubelet, so a Job never finishes by itself:
 * where a test needs a finished Job it writes the Job's status through the status subresource, as the
 * job controller would once the Job's pod ended.
 */
@WithKubernetes
class GitopsHooksTest {
  private static final String AGENT = "tether-agent/";

  private static String helmConfig(TestNamespace ns) {
    return "gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns + "\n      resync_interval: 2s\n"
        + "      helm:\n        chart: chart\n        release_name: web\n";
  }

  private static String rawConfig(TestNamespace ns) {
    return "gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns + "\n      resync_interval: 1s\n"
        + "      reconcile_timeout: 60s\n";
  }

  private static void writeChart(GitopsSetup setup, String color) {
    setup.manifests
        .write("chart/Chart.yaml", "apiVersion: v2\nname: web\nversion: 1.0.0\n")
        .write("chart/templates/app.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: {{ .Release.Name }}-settings
            data: {color: %s}
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: {{ .Release.Name }}
            spec:
              ports: [{port: 80}]
            """.formatted(color))
        .write("chart/templates/hooks.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: {{ .Release.Name }}-migrate
              annotations:
                "helm.sh/hook": pre-install,pre-upgrade
                "helm.sh/hook-weight": "5"
            data: {step: migrate}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: {{ .Release.Name }}-backup
              annotations:
                "helm.sh/hook": pre-upgrade,pre-install
                "helm.sh/hook-weight": "-3"
            data: {step: backup}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: {{ .Release.Name }}-notify
              annotations: {"helm.sh/hook": post-install}
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: {{ .Release.Name }}-test
              annotations: {"helm.sh/hook": test}
            spec: {containers: [{name: t, image: busybox}]}
            """);
  }

  private static List<String> writeOrder(AuditLog audit, long mark) {
    return audit.writesSince(mark, AGENT).stream()
        .map(w -> w.path("verb").asText() + " " + w.path("objectRef").path("name").asText())
        .filter(w -> !w.contains("inventory-")).toList();
  }

  private static ObjectResult result(SyncOutcome outcome, String name) {
    return outcome.objects().stream().filter(o -> o.key().name().equals(name)).findFirst().orElseThrow(() ->
        new AssertionError(name + " is not in the change set:\n" + outcome.changes()));
  }

  @Test
  @DisplayName("a chart's pre-install hooks run before its objects by weight, post-install after they are healthy; tests never; "
      + "a resync that writes nothing runs no hook; the next change re-creates them (before-hook-creation); hooks are never pruned")
  void helmHooksRunAroundTheSync(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) throws Exception {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      writeChart(setup, "blue");
      String commit = setup.manifests.commitAndPush("A chart with hooks");
      setup.configure(helmConfig(ns));
      AuditLog audit = new AuditLog(plane);
      long mark = audit.mark();
      setup.startAgent();

      SyncOutcome first = setup.awaitSync(commit);

      assertThat(first.phase()).as(first.message() + "\n" + first.changes()).isEqualTo(Phase.SYNCED);
      List<String> order = writeOrder(audit, mark);
      assertThat(order).as("backup (weight -3), migrate (5), the objects (together), then notify").hasSize(5);
      assertThat(order.subList(0, 2)).containsExactly("patch web-backup", "patch web-migrate");
      assertThat(order.subList(2, 4)).containsExactlyInAnyOrder("patch web-settings", "patch web");
      assertThat(order.get(4)).isEqualTo("patch web-notify");
      assertThat(result(first, "web-backup").hook()).isEqualTo(HookPhase.PRE_SYNC);
      assertThat(result(first, "web-notify").hook()).isEqualTo(HookPhase.POST_SYNC);
      assertThat(result(first, "web-settings").hook()).isEqualTo(HookPhase.NONE);
      assertThat(result(first, "web-test").action()).isEqualTo(Action.SKIPPED);
      assertThat(result(first, "web-test").message()).contains("helm.sh/hook: test");
      assertThat(client.pods().inNamespace(ns.name()).withName("web-test").get()).as("test hooks never run").isNull();
      assertThat(first.desired().keySet()).as("hooks are not drift-corrected")
          .noneMatch(k -> k.name().equals("web-migrate") || k.name().equals("web-notify"));
      String migrateUid = client.configMaps().inNamespace(ns.name()).withName("web-migrate").get().getMetadata().getUid();

      long resync = audit.mark();
      Thread.sleep(5000); // two resync intervals and more
      assertThat(writeOrder(audit, resync)).as("a resync that writes nothing runs no hook").isEmpty();

      long change = audit.mark();
      writeChart(setup, "green");
      SyncOutcome changed = setup.awaitSync(setup.manifests.commitAndPush("Green"));
      assertThat(changed.phase()).as(changed.message()).isEqualTo(Phase.SYNCED);
      assertThat(writeOrder(audit, change)).as("before-hook-creation: each hook is deleted and created again; notify is "
          + "post-install only, as Argo CD runs it after every sync that writes").containsExactly("delete web-backup",
          "patch web-backup", "delete web-migrate", "patch web-migrate", "patch web-settings", "delete web-notify", "patch web-notify");
      assertThat(client.configMaps().inNamespace(ns.name()).withName("web-migrate").get().getMetadata().getUid())
          .isNotEqualTo(migrateUid);

      writeChart(setup, "red");
      setup.manifests.delete("chart/templates/hooks.yaml");
      SyncOutcome withoutHooks = setup.awaitSync(setup.manifests.commitAndPush("No more hooks"));
      assertThat(withoutHooks.phase()).as(withoutHooks.message()).isEqualTo(Phase.SYNCED);
      assertThat(withoutHooks.count(Action.PRUNED)).isZero();
      assertThat(client.configMaps().inNamespace(ns.name()).withName("web-migrate").get()).as("hooks are never pruned").isNotNull();
      assertThat(client.configMaps().inNamespace(ns.name()).withName("web-notify").get()).isNotNull();
    }
  }

  private static final String DEPLOYMENT = """
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: app}
      spec:
        selector: {matchLabels: {app: app}}
        template:
          metadata: {labels: {app: app}}
          spec: {containers: [{name: main, image: busybox}]}
      """;

  private static String job(String name, String annotations) {
    return """
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: %s
          annotations: {%s}
        spec:
          backoffLimit: 0
          template:
            spec:
              restartPolicy: Never
              containers: [{name: main, image: busybox, command: [sh, -c, "true"]}]
        """.formatted(name, annotations);
  }

  /** What the job controller writes when the Job's pod ends: the conditions the API server requires for a finished Job. */
  private static void finish(KubernetesClient client, TestNamespace ns, String name, boolean succeeded) {
    await().atMost(Duration.ofSeconds(30)).until(() -> client.batch().v1().jobs().inNamespace(ns.name()).withName(name).get() != null);
    String now = Instant.now().toString();
    List<JobCondition> conditions = succeeded
        ? List.of(condition("SuccessCriteriaMet", now), condition("Complete", now))
        : List.of(condition("FailureTarget", now), condition("Failed", now));
    client.batch().v1().jobs().inNamespace(ns.name()).withName(name).editStatus(j -> {
      JobStatusBuilder status = new JobStatusBuilder().withStartTime(now).withConditions(conditions);
      if (succeeded) {
        status.withSucceeded(1).withCompletionTime(now);
      } else {
        status.withFailed(1);
      }
      j.setStatus(status.build());
      return j;
    });
  }

  private static JobCondition condition(String type, String now) {
    return new JobConditionBuilder().withType(type).withStatus("True").withLastTransitionTime(now).withLastProbeTime(now)
        .withReason(type.equals("Failed") ? "BackoffLimitExceeded" : "Test").withMessage("set by the test").build();
  }

  @Test
  @DisplayName("a PreSync Job that fails stops the sync with the hook named and nothing else applied; HookSucceeded deletes "
      + "a Job once it completed, then the objects are applied")
  void preSyncJobs(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) throws Exception {
    ExecutorService jobController = Executors.newSingleThreadExecutor();
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      setup.manifests.write("app.yaml", DEPLOYMENT)
          .write("migrate.yaml", job("migrate", "\"helm.sh/hook\": pre-upgrade"));
      String commit = setup.manifests.commitAndPush("A migration that fails");
      setup.configure(rawConfig(ns));
      setup.startAgent();
      Future<?> failing = jobController.submit(() -> finish(client, ns, "migrate", false));

      SyncOutcome failed = setup.awaitSync(commit);
      failing.get();

      assertThat(failed.phase()).isEqualTo(Phase.FAILED);
      assertThat(failed.message()).contains("PreSync hook batch/Job " + ns.name() + "/migrate failed: job failed")
          .contains("nothing else was applied or pruned");
      assertThat(client.apps().deployments().inNamespace(ns.name()).withName("app").get()).as("nothing else applied").isNull();

      setup.manifests.delete("migrate.yaml").write("migrate-v2.yaml", job("migrate-v2",
          "\"argocd.argoproj.io/hook\": PreSync, \"argocd.argoproj.io/hook-delete-policy\": HookSucceeded"))
          .write("note.yaml", """
              apiVersion: v1
              kind: ConfigMap
              metadata:
                name: note
                annotations: {"argocd.argoproj.io/hook": Sync}
              data: {synced: "yes"}
              """);
      AuditLog audit = new AuditLog(plane);
      long mark = audit.mark();
      String fixed = setup.manifests.commitAndPush("A migration that works");
      Future<?> succeeding = jobController.submit(() -> finish(client, ns, "migrate-v2", true));
      SyncOutcome synced = setup.awaitSync(fixed);
      succeeding.get();

      assertThat(synced.phase()).as(synced.message() + "\n" + synced.changes()).isEqualTo(Phase.SYNCED);
      assertThat(client.apps().deployments().inNamespace(ns.name()).withName("app").get()).isNotNull();
      // The audit log, not the outcome: a resync may have replaced that outcome by now.
      assertThat(writeOrder(audit, mark).stream().filter(w -> w.endsWith(" migrate-v2") || w.endsWith(" app") || w.endsWith(" note"))
          .toList()).as("the PreSync Job is created, completes, is deleted (HookSucceeded); then the Deployment is applied, and "
              + "the Sync hook right after it").containsExactly("patch migrate-v2", "delete migrate-v2", "patch app", "patch note");
      assertThat(client.batch().v1().jobs().inNamespace(ns.name()).withName("migrate-v2").get()).isNull();
      Job old = client.batch().v1().jobs().inNamespace(ns.name()).withName("migrate").get();
      assertThat(old).as("the failed hook of the earlier commit is no regular object: it is not pruned").isNotNull();
    } finally {
      jobController.shutdownNow();
    }
  }

  @Test
  @DisplayName("PostSync hooks wait for the objects to be healthy: a Deployment that never is (no kubelet here) fails the sync "
      + "after reconcile_timeout, naming it, and the hook is not applied")
  void postSyncWaitsForHealth(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      setup.manifests.write("app.yaml", DEPLOYMENT).write("notify.yaml", """
          apiVersion: v1
          kind: ConfigMap
          metadata:
            name: notify
            annotations: {"helm.sh/hook": post-install}
          """);
      String commit = setup.manifests.commitAndPush("A Deployment and a PostSync hook");
      setup.configure("gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns
          + "\n      reconcile_timeout: 3s\n");
      setup.startAgent();

      SyncOutcome outcome = setup.awaitSync(commit);

      assertThat(outcome.phase()).isEqualTo(Phase.FAILED);
      assertThat(outcome.message()).startsWith("PostSync hooks not run: apps/Deployment " + ns.name() + "/app is not healthy (InProgress")
          .contains("after 3 s, the reconcile_timeout");
      assertThat(client.apps().deployments().inNamespace(ns.name()).withName("app").get()).isNotNull();
      assertThat(client.configMaps().inNamespace(ns.name()).withName("notify").get()).isNull();
    }
  }
}
