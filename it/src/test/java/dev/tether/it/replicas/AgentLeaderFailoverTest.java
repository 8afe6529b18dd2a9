package dev.tether.it.replicas;

import static dev.tether.it.support.GitopsSetup.configMap;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.it.support.AgentProcess;
import dev.tether.it.support.ApiClient;
import dev.tether.it.support.ConfigProject;
import dev.tether.testkit.git.GitHttpServer;
import dev.tether.testkit.git.GitRepository;
import dev.tether.testkit.k8s.AuditLog;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.WithKubernetes;
import dev.tether.testkit.postgres.PostgresServer;
import dev.tether.testkit.postgres.WithPostgres;
import dev.tether.testkit.replicas.ServerReplicas;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The leading replica of an agent is SIGKILLed in the middle of a large sync while the two replicas are
 * connected to different server replicas (three `tether server` processes on one real PostgreSQL; both
 * agent replicas are `tether agent` processes on a real control plane). The other replica takes the
 * Lease within 15 s, finishes the sync, and writes none of the objects the dead one had written; every
 * server replica's API shows the finished sync, made by the new leader.
 *
 * <p>No second write is allowed, not even of an object the dead leader had in flight: a request that reached
 * the API server before the kill completes there within milliseconds (the audit log then has it, between the
 * kill and the takeover, where the standby writes nothing), while the standby can take the Lease only 10 s
 * after the last renewal, and reads before it writes: it finds such an object as Git has it. A request that
 * never reached the API server left no trace, and the new leader writes that object once.
 */
@WithPostgres
@WithKubernetes
class AgentLeaderFailoverTest {
  private static final String LEASE = "tether-agent-west";
  /** Enough objects that the sync takes seconds on a shared 2-core machine: the kill lands in its middle. */
  private static final int OBJECTS = 1000;

  @Test
  @DisplayName("SIGKILL of the leading agent replica mid-sync, the replicas on different server replicas: the other takes the "
      + "Lease within 15 s, finishes the sync without writing again what the dead one wrote, and every server replica shows it")
  void leaderKilledMidSync(@TempDir Path dir, PostgresServer postgres, KubeControlPlane plane, KubernetesClient client,
      TestNamespace ns) throws Exception {
    ConfigProject config = new ConfigProject(dir.resolve("repos"), "config");
    GitRepository manifests = GitRepository.create(dir.resolve("repos"), "manifests");
    manifests.write("seed.yaml", configMap("seed", "1"));
    String seeded = manifests.commitAndPush("One object");
    config.push("west", "gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns + "\n");
    List<AgentProcess> agents = new ArrayList<>();
    try (GitHttpServer git = GitHttpServer.serve(dir.resolve("repos"), "reader", "s3cret");
        ServerReplicas replicas = ServerReplicas.start(dir.resolve("servers"), 3, postgres.createDatabase("leader_failover"),
            "--allow-git-url", "127.0.0.0/8", "--poll-interval", "1s")) {
      ApiClient api = new ApiClient(replicas.get(1).httpUrl(), replicas.adminToken());
      Map<String, String> reader = Map.of("username", "reader", "password", "s3cret");
      api.post("/api/v1/projects", Map.of("id", "platform/config", "url", git.url(config.repo()), "credentials", reader));
      api.post("/api/v1/projects", Map.of("id", "team/app", "url", git.url(manifests), "credentials", reader));
      JsonNode created = api.post("/api/v1/agents", Map.of("name", "west", "config_project", "platform/config"));
      Path token = Files.writeString(dir.resolve("west.token"), created.get("secret").asText() + "\n");
      List<ApiClient> everyReplica = new ArrayList<>();
      for (ServerReplicas.Replica replica : replicas.all()) {
        everyReplica.add(new ApiClient(replica.httpUrl(), replicas.adminToken()));
      }
      ApiClient third = everyReplica.get(2);

      // Replica a on server replica 1 leads; replica b on server replica 2 stands by; replica 3 holds no connection.
      AgentProcess a = agent(agents, dir, "west-a", replicas.get(1), token, replicas, plane, ns);
      await().atMost(Duration.ofSeconds(60)).until(() -> holder(client, ns).filter("west-a"::equals).isPresent());
      await().atMost(Duration.ofSeconds(60)).until(() -> syncedCommit(third).equals(Optional.of(seeded)));
      agent(agents, dir, "west-b", replicas.get(2), token, replicas, plane, ns);
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
        List<JsonNode> connections = connections(third);
        assertThat(connections).extracting(c -> c.get("pod_name").asText() + "@" + c.get("replica").asText() + ":"
            + c.get("applies_gitops").asBoolean()).containsExactlyInAnyOrder("west-a@" + replicas.get(1).id() + ":true",
            "west-b@" + replicas.get(2).id() + ":false");
      });

      AuditLog audit = new AuditLog(plane);
      long beforeSync = audit.mark();
      manifests.write("objects.yaml", String.join("---\n", IntStream.range(0, OBJECTS).mapToObj(i -> configMap("cm-" + i, "v")).toList()));
      String big = manifests.commitAndPush(OBJECTS + " objects");
      // Found by a poll of whichever server replica claims team/app; the leader creates, and dies a quarter of the way.
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
          .until(() -> written(audit, beforeSync, Long.MAX_VALUE).size() >= OBJECTS / 4);
      a.kill();
      Instant killedAt = Instant.now();
      long killed = System.nanoTime();
      long afterKill = audit.mark();

      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
          .until(() -> holder(client, ns).filter("west-b"::equals).isPresent());
      Duration takeover = Duration.ofNanos(System.nanoTime() - killed);
      long afterTakeover = audit.mark();
      List<String> byDead = written(audit, beforeSync, afterKill);
      List<String> inFlight = written(audit, afterKill, afterTakeover);
      System.out.printf("[replicas] the leading agent replica was killed after creating %d of %d objects; west-b held the "
          + "Lease %d ms later; %d writes of the dead one completed after its death%n", byDead.size(), OBJECTS,
          takeover.toMillis(), inFlight.size());
      assertThat(byDead).as("the kill lands in the middle of the sync").hasSizeLessThan(OBJECTS);
      assertThat(takeover).as("the Lease lapses 10 s after the last renewal; the standby takes it within a retry period")
          .isLessThanOrEqualTo(Duration.ofSeconds(15));

      // Every server replica shows the sync of the big commit finished, by the replica now applying: west-b on replica 2.
      await().atMost(Duration.ofSeconds(60)).until(() -> syncedCommit(third).equals(Optional.of(big)));
      System.out.printf("[replicas] the sync of %d objects finished %d ms after the leader's death%n", OBJECTS,
          Duration.ofNanos(System.nanoTime() - killed).toMillis());
      for (ApiClient replica : everyReplica) {
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
          JsonNode app = application(replica).orElseThrow();
          assertThat(app.get("commit").asText()).isEqualTo(big);
          assertThat(app.get("phase").asText()).as(app.path("message").asText()).isEqualTo("synced");
          assertThat(app.get("objects").asInt()).isEqualTo(OBJECTS + 1);
          assertThat(Instant.parse(app.get("started_at").asText())).as("a sync the new leader started").isAfter(killedAt);
          assertThat(connections(replica)).extracting(c -> c.get("pod_name").asText() + "@" + c.get("replica").asText() + ":"
              + c.get("applies_gitops").asBoolean()).containsExactly("west-b@" + replicas.get(2).id() + ":true");
        });
      }

      // Nothing written twice: the new leader wrote only what neither the dead leader nor its requests in flight had.
      // In flight is whatever reached the API server before the kill and completed after it; the standby writes no
      // ConfigMap before it holds the Lease, so every write between the kill and the takeover is the dead leader's.
      List<String> byNew = written(audit, afterTakeover, Long.MAX_VALUE);
      assertThat(written(audit, beforeSync, Long.MAX_VALUE)).as("no object is written twice, by either replica").doesNotHaveDuplicates();
      Set<String> writtenBefore = new HashSet<>(byDead);
      writtenBefore.addAll(inFlight);
      assertThat(byNew).as("the new leader writes nothing the dead one wrote").noneMatch(writtenBefore::contains);
      Set<String> writtenOnce = new HashSet<>(writtenBefore);
      writtenOnce.addAll(byNew);
      assertThat(writtenOnce).as("together they wrote every new object, and not the one that was already as Git says")
          .containsExactlyInAnyOrderElementsOf(IntStream.range(0, OBJECTS).mapToObj(i -> "cm-" + i).toList());

      Map<String, String> live = client.configMaps().inNamespace(ns.name()).list().getItems().stream()
          .filter(cm -> cm.getMetadata().getName().startsWith("cm-") || cm.getMetadata().getName().equals("seed"))
          .collect(Collectors.toMap(cm -> cm.getMetadata().getName(), cm -> String.valueOf(cm.getData())));
      assertThat(live).as("every object as Git has it").hasSize(OBJECTS + 1);
      assertThat(live.get("seed")).isEqualTo("{value=1}");
      assertThat(live.entrySet().stream().filter(e -> !e.getKey().equals("seed")).map(Map.Entry::getValue).distinct())
          .containsExactly("{value=v}");
      ConfigMap inventory = client.configMaps().inNamespace(ns.name()).withName("inventory-west-team.app").get();
      assertThat(inventory.getData().keySet()).as("the inventory lists every object").containsExactlyInAnyOrderElementsOf(
          IntStream.range(-1, OBJECTS).mapToObj(i -> ns.name() + "_" + (i < 0 ? "seed" : "cm-" + i) + "__ConfigMap").toList());
    } finally {
      for (AgentProcess agent : agents) {
        agent.close();
        System.out.println("--- " + agent.log());
        agent.tail(30).forEach(System.out::println);
      }
    }
  }

  private static AgentProcess agent(List<AgentProcess> agents, Path dir, String identity, ServerReplicas.Replica server, Path token,
      ServerReplicas replicas, KubeControlPlane plane, TestNamespace ns) throws Exception {
    AgentProcess agent = AgentProcess.leaseReplica(dir.resolve(identity + ".log"), "127.0.0.1:" + server.agentAddress().getPort(),
        token, replicas.caFile(), plane.kubeconfig(), ns.name(), LEASE, identity);
    agents.add(agent);
    return agent;
  }

  private static Optional<String> holder(KubernetesClient client, TestNamespace ns) {
    Lease lease = client.resources(Lease.class).inNamespace(ns.name()).withName(LEASE).get();
    return Optional.ofNullable(lease).map(l -> l.getSpec().getHolderIdentity());
  }

  private static Optional<JsonNode> application(ApiClient api) {
    return StreamSupport.stream(api.get("/api/v1/applications").spliterator(), false)
        .filter(a -> a.get("agent").asText().equals("west")).findFirst();
  }

  /** The commit of the last sync that ended SYNCED, as this server replica's API shows it. */
  private static Optional<String> syncedCommit(ApiClient api) {
    return application(api).filter(a -> "synced".equals(a.path("phase").asText())).map(a -> a.get("commit").asText());
  }

  private static List<JsonNode> connections(ApiClient api) {
    return StreamSupport.stream(api.get("/api/v1/agents/west").get("connections").spliterator(), false).toList();
  }

  /** The ConfigMaps of the manifests the agent's processes wrote (created, patched, deleted) between two marks. */
  private static List<String> written(AuditLog audit, long from, long to) {
    return audit.writesBetween(from, to, "tether-agent/").stream()
        .filter(e -> "configmaps".equals(e.path("objectRef").path("resource").asText()))
        .map(e -> e.path("objectRef").path("name").asText())
        .filter(name -> name.startsWith("cm-") || name.equals("seed")).toList();
  }
}
