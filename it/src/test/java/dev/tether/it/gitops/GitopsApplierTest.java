package dev.tether.it.gitops;

import static dev.tether.it.support.GitopsSetup.configMap;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.agent.TetherAgent;
import dev.tether.agent.connection.GitopsPermission;
import dev.tether.agent.gitops.Phase;
import dev.tether.agent.gitops.SyncOutcome;
import dev.tether.it.support.GitopsSetup;
import dev.tether.testkit.k8s.AuditLog;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.WithKubernetes;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Only a process that holds a current, authenticated session with the server, and the agent's GitOps
 * role, writes to the cluster: not a second process on the same token, not one cut off from the
 * server, not one whose token was revoked. The API server's audit log counts what each wrote.
 */
@WithKubernetes
class GitopsApplierTest {
  private static final String AGENT = "tether-agent/";

  private static String config(TestNamespace ns) {
    return "gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns + "\n      resync_interval: 1s\n";
  }

  private static GitopsSetup synced(Path dir, KubeControlPlane plane, TestNamespace ns) {
    GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app");
    setup.manifests.write("alpha.yaml", configMap("alpha", "1"));
    String commit = setup.manifests.commitAndPush("Alpha");
    setup.configure(config(ns));
    setup.startAgent();
    assertThat(setup.awaitSync(commit).phase()).isEqualTo(Phase.SYNCED);
    return setup;
  }

  private static List<String> writes(AuditLog audit, long mark, String name) {
    return audit.writesSince(mark, AGENT).stream().filter(e -> name.equals(e.path("objectRef").path("name").asText()))
        .map(e -> e.path("verb").asText()).toList();
  }

  @Test
  @DisplayName("two processes on one token: one applies, the other is told why and writes nothing; no delete/create loop")
  void twoProcessesOneToken(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = synced(dir, plane, ns)) {
      TetherAgent first = setup.agent();
      TetherAgent second = setup.startAnotherProcess();

      await().atMost(Duration.ofSeconds(20)).until(() -> second.gitopsPermission().state()
          == GitopsPermission.State.ANOTHER_CONNECTION_APPLIES);
      assertThat(second.gitopsPermission().reason()).contains("another process of agent 'prod' applies");
      assertThat(first.gitopsPermission().applies()).isTrue();
      // Connection events are written in batches (every 250 ms): wait for the one about the second process.
      await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
          setup.tether.api().get("/api/v1/events?agent=prod&kind=connection").get("events").toString())
          .contains("Second connection").contains("does not apply GitOps"));
      JsonNode connections = setup.tether.agentStatus("prod").get("connections");
      assertThat(connections).hasSize(2);
      assertThat(connections.findValuesAsText("applies_gitops")).containsExactlyInAnyOrder("true", "false");

      AuditLog audit = new AuditLog(plane);
      long mark = audit.mark();
      setup.manifests.delete("alpha.yaml").write("beta.yaml", configMap("beta", "1"));
      String commit = setup.manifests.commitAndPush("Beta replaces alpha");
      SyncOutcome outcome = setup.awaitSync(commit);
      assertThat(outcome.phase()).as(outcome.message()).isEqualTo(Phase.SYNCED);
      // Several resync intervals: a second applier with the older commit would delete beta and re-create alpha.
      sleep(Duration.ofSeconds(5));

      assertThat(writes(audit, mark, "alpha")).containsExactly("delete");
      assertThat(writes(audit, mark, "beta")).containsExactly("patch");
      assertThat(client.configMaps().withName("beta").get()).isNotNull();
      assertThat(client.configMaps().withName("alpha").get()).isNull();
      assertThat(second.gitops().outcome("team/app")).as("the second process never synced").isEmpty();

      // The applier goes: the other takes over, and its first sync finds nothing to write.
      long handover = audit.mark();
      first.close();
      await().atMost(Duration.ofSeconds(30)).until(() -> second.gitopsPermission().applies());
      await().atMost(Duration.ofSeconds(30)).until(() -> second.gitops().outcome("team/app")
          .map(o -> o.commit().equals(commit) && o.phase() == Phase.SYNCED).orElse(false));
      assertThat(audit.writesSince(handover, AGENT)).isEmpty();
    }
  }

  @Test
  @DisplayName("an agent cut off from its server applies, prunes and puts back nothing until the server is back")
  void cutOffFromTheServer(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = synced(dir, plane, ns)) {
      setup.tether.stopServer();
      await().atMost(Duration.ofSeconds(20)).until(() -> setup.agent().gitopsPermission().state()
          == GitopsPermission.State.DISCONNECTED);

      AuditLog audit = new AuditLog(plane);
      long mark = audit.mark();
      client.configMaps().withName("alpha").edit(cm -> {
        cm.setData(Map.of("value", "changed out of band"));
        return cm;
      });
      sleep(Duration.ofSeconds(4)); // four resync intervals and the drift watch's delay

      assertThat(audit.writesSince(mark, AGENT)).as("no write while cut off").isEmpty();
      assertThat(client.configMaps().withName("alpha").get().getData()).containsEntry("value", "changed out of band");

      setup.tether.startServerAgain();
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
          assertThat(client.configMaps().withName("alpha").get().getData()).containsEntry("value", "1"));
      assertThat(setup.agent().gitopsPermission().applies()).isTrue();
    }
  }

  @Test
  @DisplayName("a revoked token stops GitOps at once: nothing is put back or applied afterwards")
  void revokedToken(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = synced(dir, plane, ns)) {
      String tokenId = setup.tether.api().get("/api/v1/agents/prod/tokens").get(0).get("id").asText();
      setup.tether.api().delete("/api/v1/tokens/" + tokenId);
      await().atMost(Duration.ofSeconds(10)).until(() -> setup.agent().gitopsPermission().state()
          == GitopsPermission.State.TOKEN_REFUSED);
      assertThat(setup.agent().gitopsPermission().reason()).contains("refused the agent token");

      AuditLog audit = new AuditLog(plane);
      long mark = audit.mark();
      client.configMaps().withName("alpha").edit(cm -> {
        cm.setData(Map.of("value", "changed out of band"));
        return cm;
      });
      sleep(Duration.ofSeconds(4));

      assertThat(audit.writesSince(mark, AGENT)).as("no write after the revocation").isEmpty();
      ConfigMap alpha = client.configMaps().withName("alpha").get();
      assertThat(alpha.getData()).containsEntry("value", "changed out of band");
    }
  }

  @Test
  @DisplayName("a selection larger than the agent can hold is refused up front with the limit named; the status keeps "
      + "saying so after resyncs, until a commit succeeds")
  void oversizedSelection(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      setup.manifests.write("alpha.yaml", configMap("alpha", "1"));
      String small = setup.manifests.commitAndPush("Alpha");
      setup.configure(config(ns));
      setup.startAgent(4096);
      assertThat(setup.awaitSync(small).phase()).isEqualTo(Phase.SYNCED);

      setup.manifests.delete("alpha.yaml").write("big.yaml", configMap("big", "x".repeat(10_000)));
      String big = setup.manifests.commitAndPush("Too big for this agent");
      SyncOutcome refused = setup.awaitSync(big);

      assertThat(refused.phase()).isEqualTo(Phase.FAILED);
      assertThat(refused.message()).contains("takes at most 4096 bytes").contains("--max-manifest-bytes");
      assertThat(client.configMaps().withName("big").get()).isNull();
      assertThat(client.configMaps().withName("alpha").get()).as("nothing pruned").isNotNull();

      // Resyncs of the last commit the agent has (every second) must not turn the status back to "synced".
      java.time.Instant after = java.time.Instant.now();
      await().atMost(Duration.ofSeconds(20)).until(() -> setup.agent().gitops().outcome("team/app")
          .map(o -> o.started().isAfter(after)).orElse(false));
      SyncOutcome resynced = setup.agent().gitops().outcome("team/app").orElseThrow();
      assertThat(resynced.phase()).isEqualTo(Phase.FAILED);
      assertThat(resynced.message()).contains("the newest commit cannot be synced").contains("takes at most 4096 bytes");
      JsonNode status = setup.tether.agentStatus("prod").get("gitops").get(0);
      assertThat(status.get("phase").asText()).isEqualTo("failed");

      setup.manifests.delete("big.yaml").write("beta.yaml", configMap("beta", "1"));
      String fixed = setup.manifests.commitAndPush("Small again");
      assertThat(setup.awaitSync(fixed).phase()).isEqualTo(Phase.SYNCED);
      assertThat(client.configMaps().withName("beta").get()).isNotNull();
    }
  }

  @Test
  @DisplayName("a newer commit stops a sync that is waiting and is applied at once")
  void newerCommitPreempts(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      // A finalizer nobody removes keeps the pruned object in deletion: the sync waits for it up to prune_timeout.
      setup.manifests.write("held.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: held\n  finalizers: "
          + "[example.com/hold]\ndata:\n  value: \"1\"\n");
      String first = setup.manifests.commitAndPush("Held");
      setup.configure("gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns
          + "\n      prune_timeout: 300s\n");
      setup.startAgent();
      assertThat(setup.awaitSync(first).phase()).isEqualTo(Phase.SYNCED);
      try {
        setup.manifests.delete("held.yaml").write("alpha.yaml", configMap("alpha", "1"));
        setup.manifests.commitAndPush("Prune held");
        await().atMost(Duration.ofSeconds(30)).until(() -> client.configMaps().withName("held").get() != null
            && client.configMaps().withName("held").get().getMetadata().getDeletionTimestamp() != null);

        setup.manifests.write("beta.yaml", configMap("beta", "1"));
        setup.manifests.commitAndPush("Beta");

        // Without pre-emption beta would wait for the 300 s prune_timeout of the sync before it.
        await().atMost(Duration.ofSeconds(30)).until(() -> client.configMaps().withName("beta").get() != null);
        JsonNode inventory = setup.tether.agentStatus("prod").get("gitops").get(0);
        assertThat(inventory.toString()).doesNotContain("internal error");
      } finally {
        // A merge patch without a resourceVersion: the API server itself updates the object while it is deleted.
        client.configMaps().withName("held").patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
            io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE), "{\"metadata\":{\"finalizers\":null}}");
      }
    }
  }

  @Test
  @DisplayName("a failed sync is tried again within seconds, not at the next resync_interval")
  void failedSyncIsRetried(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    String missing = ns + "-later";
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      setup.manifests.write("alpha.yaml", configMap("alpha", "1"));
      String commit = setup.manifests.commitAndPush("Alpha");
      setup.configure("gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + missing + "\n");
      setup.startAgent();
      SyncOutcome failed = setup.awaitSync(commit);
      assertThat(failed.phase()).isEqualTo(Phase.FAILED);
      assertThat(failed.message()).contains("does not exist");

      client.namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata()
          .withName(missing).endMetadata().build()).create();
      try {
        // The default resync_interval is minutes; the retry comes after seconds.
        await().atMost(Duration.ofSeconds(40)).until(() -> setup.agent().gitops().outcome("team/app")
            .map(o -> o.phase() == Phase.SYNCED).orElse(false));
        assertThat(client.configMaps().inNamespace(missing).withName("alpha").get()).isNotNull();
      } finally {
        client.namespaces().withName(missing).delete();
      }
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
