package dev.tether.it.gitops;

import static dev.tether.it.support.GitopsSetup.configMap;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.tether.agent.gitops.Action;
import dev.tether.agent.gitops.Phase;
import dev.tether.agent.gitops.SyncOutcome;
import dev.tether.it.support.CapturedLogs;
import dev.tether.it.support.GitopsSetup;
import dev.tether.it.support.ProductLogging;
import dev.tether.testkit.k8s.KubeBinaries;
import dev.tether.testkit.k8s.KubeControlPlane;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API server goes away for 35 s while a commit arrives. The sync fails, is reported as failed and
 * prunes nothing; it is tried again with a backoff, so the commit is applied soon after the API server
 * is back rather than at the next resync_interval; and the outage costs a bounded number of log lines,
 * one per failure with its reason, not a stack trace per retry.
 *
 * <p>Stopping the API server would break every other test sharing the JVM's control plane, so this
 * one starts its own.
 */
class ApiServerOutageTest {
  private static final String NAMESPACE = "outage";
  /**
   * The 35 s and a little more: the retries 5, 10 and 20 s after the first failure all fail, and the
   * next one is 40 s away when the API server returns; the commit must not wait for it.
   */
  private static final Duration OUTAGE = Duration.ofSeconds(40);
  /** The longest wait after the API server is back: the retry's, far below the default resync_interval of 10 min. */
  private static final Duration RECOVERY = Duration.ofSeconds(15);

  @Test
  @DisplayName("a commit pushed while the API server is down fails, prunes nothing, and is synced within seconds of its return; "
      + "the outage costs some lines, not stack traces")
  void commitPushedDuringOutageIsSyncedSoonAfterIt(@TempDir Path dir) {
    KubeControlPlane plane = KubeControlPlane.start(KubeBinaries.locate(), dir.resolve("control-plane"));
    try (plane; ProductLogging productLogging = ProductLogging.apply(); CapturedLogs logs = CapturedLogs.attach();
        KubernetesClient client = plane.newAdminClient(NAMESPACE);
        GitopsSetup setup = new GitopsSetup(dir.resolve("tether"), plane, "prod", "team/app")) {
      client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build()).create();
      String before = setup.manifests.write("kept.yaml", configMap("kept", "1")).write("removed.yaml", configMap("removed", "1"))
          .commitAndPush("Two settings");
      // resync_interval stays at its default (10 min): only the retry can bring the commit in time. Pruning in
      // the background measures the agent: a foreground prune also waits for the controller manager's
      // garbage collector, which needs up to a minute after an outage to watch everything again.
      setup.configure("gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + NAMESPACE
          + "\n      prune_propagation_policy: background\n");
      setup.startAgent();
      assertThat(setup.awaitSync(before).phase()).isEqualTo(Phase.SYNCED);
      // The report follows the start of the drift watches: the outage begins with the agent at rest.
      await().atMost(Duration.ofSeconds(10)).until(() -> gitopsStatus(setup).path("phase").asText().equals("synced"));

      long down = System.currentTimeMillis();
      plane.stopApiServer();
      String during = setup.manifests.write("kept.yaml", configMap("kept", "2")).write("added.yaml", configMap("added", "1"))
          .delete("removed.yaml").commitAndPush("Change, add and remove a setting while the API server is down");

      SyncOutcome failed = setup.awaitSync(during);
      assertThat(failed.phase()).as(failed.message()).isEqualTo(Phase.FAILED);
      assertThat(failed.count(Action.PRUNED)).as("nothing is pruned by a sync that cannot read the cluster").isZero();
      await().atMost(Duration.ofSeconds(10)).until(() -> gitopsStatus(setup).path("commit").asText().equals(during)
          && gitopsStatus(setup).path("phase").asText().equals("failed"));
      sleepUntil(down + OUTAGE.toMillis());

      long upAgain = startAndTime(plane);
      await().atMost(RECOVERY).pollInterval(Duration.ofMillis(200)).until(() -> setup.agent().gitops().outcome("team/app")
          .map(o -> o.commit().equals(during) && o.phase() == Phase.SYNCED).orElse(false));
      long recovered = System.currentTimeMillis();
      System.out.printf("[outage] API server down %d ms; ready again after %d ms more; commit synced %d ms after that%n",
          OUTAGE.toMillis(), upAgain - down - OUTAGE.toMillis(), recovered - upAgain);

      // Synced at the new commit, and the cluster matches Git: nothing half-applied and forgotten.
      assertThat(client.configMaps().withName("kept").get().getData()).containsEntry("value", "2");
      assertThat(client.configMaps().withName("added").get()).isNotNull();
      assertThat(client.configMaps().withName("removed").get()).isNull();
      assertThat(client.configMaps().withName("inventory-prod-team.app").get().getData())
          .containsOnlyKeys(NAMESPACE + "_kept__ConfigMap", NAMESPACE + "_added__ConfigMap");
      await().atMost(Duration.ofSeconds(10)).until(() -> gitopsStatus(setup).path("commit").asText().equals(during)
          && gitopsStatus(setup).path("phase").asText().equals("synced"));

      List<CapturedLogs.Event> outage = logs.eventsSince(down).stream().filter(e -> e.timeMillis() <= recovered).toList();
      printCounts(outage);
      assertThat(outage).as("Tether's own loggers log a failure in one line; stack traces are for debug")
          .filteredOn(e -> e.logger().startsWith("dev.tether.") && e.level().isGreaterOrEqual(Level.INFO))
          .noneMatch(CapturedLogs.Event::hasThrowable);
      assertThat(outage).as("warnings and errors while the API server was down for %d s", OUTAGE.toSeconds())
          .filteredOn(e -> e.level().isGreaterOrEqual(Level.WARN)).hasSizeLessThanOrEqualTo(10);
      assertThat(outage).as("lines logged while the API server was down for %d s", OUTAGE.toSeconds()).hasSizeLessThanOrEqualTo(40);
    }
  }

  private static JsonNode gitopsStatus(GitopsSetup setup) {
    JsonNode syncs = setup.tether.api().get("/api/v1/agents/prod/gitops");
    return syncs.isEmpty() ? MissingNode.getInstance() : syncs.get(0);
  }

  /** Starts the API server again; returns when it was ready, in epoch milliseconds. */
  private static long startAndTime(KubeControlPlane plane) {
    plane.startApiServer();
    return System.currentTimeMillis();
  }

  /**
   * Per logger and level: how many events, how many carried an exception, and the lines those exceptions
   * would take printed whole, as they were before exceptions were printed in one line.
   */
  private static void printCounts(List<CapturedLogs.Event> events) {
    Map<String, int[]> counts = new TreeMap<>();
    for (CapturedLogs.Event e : events) {
      int[] c = counts.computeIfAbsent(e.logger() + " " + e.level(), k -> new int[3]);
      c[0]++;
      c[1] += e.hasThrowable() ? 1 : 0;
      c[2] += e.stackTraceLines();
    }
    System.out.printf("[outage] %d log events (one line each) while the API server was down and until the commit was synced;"
        + " with whole stack traces they would take %d lines:%n", events.size(),
        events.size() + events.stream().mapToInt(CapturedLogs.Event::stackTraceLines).sum());
    counts.forEach((key, c) -> System.out.printf("[outage]   %4d events, %d with an exception (%d stack-trace lines) %s%n",
        c[0], c[1], c[2], key));
  }

  private static void sleepUntil(long epochMillis) {
    long wait = epochMillis - System.currentTimeMillis();
    if (wait > 0) {
      try {
        Thread.sleep(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
  }
}
