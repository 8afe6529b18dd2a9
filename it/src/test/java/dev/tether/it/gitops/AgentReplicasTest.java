package dev.tether.it.gitops;

import static dev.tether.it.support.GitopsSetup.configMap;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.agent.TetherAgent;
import dev.tether.agent.connection.GitopsPermission;
import dev.tether.agent.gitops.Phase;
import dev.tether.agent.gitops.SyncOutcome;
import dev.tether.agent.lease.LeaseSettings;
import dev.tether.it.support.AgentProcess;
import dev.tether.it.support.GitopsSetup;
import dev.tether.testkit.k8s.AuditLog;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.WithKubernetes;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two replicas of one agent, on one token: a Lease elects the one that applies. The leader is a real
 * `tether agent` process, killed with SIGKILL in the middle of a sync; the other replica takes the Lease
 * over within 15 s and finishes the sync without writing again what the dead one had written.
 */
@WithKubernetes
class AgentReplicasTest {
  private static final String LEASE = "tether-agent-prod";
  private static final int OBJECTS = 30;

  private static String objects(String value) {
    return String.join("---\n", IntStream.range(0, OBJECTS).mapToObj(i -> configMap("cm-" + i, value)).toList());
  }

  private static Optional<String> holder(KubernetesClient client, TestNamespace ns) {
    Lease lease = client.resources(Lease.class).inNamespace(ns.toString()).withName(LEASE).get();
    return Optional.ofNullable(lease).map(l -> l.getSpec().getHolderIdentity());
  }

  @Test
  @DisplayName("the replica holding the Lease applies; SIGKILL in the middle of a sync: the other takes over within 15 s, "
      + "finishes the sync, and writes none of the objects the dead one had written")
  void leaderKilledMidSync(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) throws Exception {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      // A finalizer nobody removes yet keeps the pruned object in deletion: the sync that prunes it waits there.
      setup.manifests.write("objects.yaml", objects("1"));
      setup.manifests.write("held.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: held\n  finalizers: "
          + "[example.com/hold]\ndata:\n  value: \"1\"\n");
      String first = setup.manifests.commitAndPush("Objects");
      setup.configure("gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns
          + "\n      prune_timeout: 300s\n");
      Path token = setup.tether.createAgent("prod", "platform/config");

      AgentProcess leader = AgentProcess.leaseReplica(dir.resolve("replica-a.log"), setup.tether.agentTarget(), token,
          setup.tether.caFile(), plane.kubeconfig(), ns.toString(), LEASE, "replica-a");
      try {
        await().atMost(Duration.ofSeconds(60)).until(() -> holder(client, ns).isPresent());
        String leaderName = holder(client, ns).orElseThrow();
        await().atMost(Duration.ofSeconds(60)).until(() -> client.configMaps().inNamespace(ns.toString()).withName("cm-"
            + (OBJECTS - 1)).get() != null);

        TetherAgent follower = setup.tether.startAgent(token, Optional.of(plane.kubeconfig()),
            s -> s.withGitopsLease(LeaseSettings.of(ns.toString(), LEASE, "replica-b")));
        // Until its first look at the Lease the follower only knows it does not hold it; then it names the holder.
        await().atMost(Duration.ofSeconds(20)).until(() -> follower.gitopsPermission().state()
            == GitopsPermission.State.NOT_LEADER && follower.gitopsPermission().reason().contains("holds the agent's Lease"));
        assertThat(follower.gitopsPermission().reason()).contains("replica " + leaderName + " holds the agent's Lease");
        JsonNode connections = setup.tether.agentStatus("prod").get("connections");
        assertThat(connections).hasSize(2);
        assertThat(connections.findValuesAsText("applies_gitops")).containsExactlyInAnyOrder("true", "false");

        // The next commit changes every object and prunes the held one: the leader applies, then waits on the prune.
        AuditLog audit = new AuditLog(plane);
        long beforeSync = audit.mark();
        setup.manifests.delete("held.yaml").write("objects.yaml", objects("2"));
        String second = setup.manifests.commitAndPush("Every object changes, held goes");
        await().atMost(Duration.ofSeconds(60)).until(() -> {
          var held = client.configMaps().inNamespace(ns.toString()).withName("held").get();
          return held != null && held.getMetadata().getDeletionTimestamp() != null;
        });
        List<String> writtenByLeader = writtenObjects(audit, beforeSync);
        assertThat(writtenByLeader).as("the leader wrote every changed object").containsAll(
            IntStream.range(0, OBJECTS).mapToObj(i -> "cm-" + i).toList());
        assertThat(follower.gitops().outcome("team/app")).as("the follower never synced").isEmpty();

        long killedAt = System.nanoTime();
        long afterKill = audit.mark();
        leader.kill();

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
            .until(() -> holder(client, ns).filter("replica-b"::equals).isPresent());
        Duration takeover = Duration.ofNanos(System.nanoTime() - killedAt);
        assertThat(takeover).as("the Lease lapses 10 s after the last renewal; the follower takes it within a retry period")
            .isLessThanOrEqualTo(Duration.ofSeconds(15));
        await().atMost(Duration.ofSeconds(30)).until(() -> follower.gitopsPermission().applies());

        // The follower's sync of the same commit waits on the held object like the leader's did; let it go.
        client.configMaps().inNamespace(ns.toString()).withName("held").patch(PatchContext.of(PatchType.JSON_MERGE),
            "{\"metadata\":{\"finalizers\":null}}");
        await().atMost(Duration.ofSeconds(60)).until(() -> follower.gitops().outcome("team/app")
            .map(o -> o.commit().equals(second) && o.phase() == Phase.SYNCED).orElse(false));
        SyncOutcome finished = follower.gitops().outcome("team/app").orElseThrow();
        assertThat(finished.phase()).as(finished.message()).isEqualTo(Phase.SYNCED);
        assertThat(writtenObjects(audit, afterKill)).as("nothing the dead leader wrote is written again")
            .doesNotContainAnyElementsOf(writtenByLeader);
        assertThat(client.configMaps().inNamespace(ns.toString()).withName("held").get()).isNull();
        assertThat(client.configMaps().inNamespace(ns.toString()).withName("cm-0").get().getData()).containsEntry("value", "2");
        assertThat(setup.tether.agentStatus("prod").get("connections")).hasSize(1);
      } finally {
        leader.close();
      }
    }
  }

  /** The ConfigMaps the agent's processes patched, created or deleted since {@code mark}; not the Lease, not the inventory. */
  private static List<String> writtenObjects(AuditLog audit, long mark) {
    return audit.writesSince(mark, "tether-agent/").stream()
        .filter(e -> !"leases".equals(e.path("objectRef").path("resource").asText()))
        .map(e -> e.path("objectRef").path("name").asText())
        .filter(name -> name.startsWith("cm-")).distinct().toList();
  }
}
