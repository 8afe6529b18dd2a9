package dev.tether.it.replicas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.agent.AgentSettings;
import dev.tether.agent.TetherAgent;
import dev.tether.it.support.ApiClient;
import dev.tether.it.support.ConfigProject;
import dev.tether.it.support.GitopsSetup;
import dev.tether.testkit.git.GitHttpServer;
import dev.tether.testkit.git.GitRepository;
import dev.tether.testkit.k8s.AuditLog;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.WithKubernetes;
import dev.tether.testkit.postgres.PostgresServer;
import dev.tether.testkit.postgres.WithPostgres;
import dev.tether.testkit.replicas.ServerReplicas;
import dev.tether.testkit.replicas.TcpBalancer;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The applications API (what the web UI calls) of one server replica for an agent connected to
 * another: the live tree and the live object are read through the other replica's tunnels, and Sync
 * now and Pause go down the gitops stream the other replica holds. Two replica processes on a real
 * PostgreSQL, a real agent and API server.
 */
@WithPostgres
@WithKubernetes
class ReplicaApplicationsTest {

  @Test
  @DisplayName("replica 1's API shows the live tree and object and runs Sync now and Pause for an agent connected to replica 2")
  void liveReadsAndCommandsCrossReplicas(@TempDir Path dir, PostgresServer postgres, KubeControlPlane plane, TestNamespace ns)
      throws Exception {
    ConfigProject config = new ConfigProject(dir.resolve("repos"), "config");
    GitRepository manifests = GitRepository.create(dir.resolve("repos"), "manifests");
    manifests.write("settings.yaml", GitopsSetup.configMap("settings", "blue"));
    manifests.write("web.yaml", """
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
    String commit = manifests.commitAndPush("The app");
    config.push("prod", "gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns + "\n      drift: report\n");
    try (GitHttpServer git = GitHttpServer.serve(dir.resolve("repos"), "reader", "s3cret");
        ServerReplicas replicas = ServerReplicas.start(dir.resolve("servers"), 2, postgres.createDatabase("replica_apps"),
            "--allow-git-url", "127.0.0.0/8", "--poll-interval", "1s");
        TcpBalancer toSecond = new TcpBalancer(() -> List.of(replicas.get(2).agentAddress()));
        KubernetesClient client = plane.newAdminClient(ns.name())) {
      ApiClient first = new ApiClient(replicas.get(1).httpUrl(), replicas.adminToken());
      Map<String, String> reader = Map.of("username", "reader", "password", "s3cret");
      first.post("/api/v1/projects", Map.of("id", "platform/config", "url", git.url(config.repo()), "credentials", reader));
      first.post("/api/v1/projects", Map.of("id", "team/app", "url", git.url(manifests), "credentials", reader));
      JsonNode created = first.post("/api/v1/agents", Map.of("name", "prod", "config_project", "platform/config"));
      Path token = Files.writeString(dir.resolve("prod.token"), created.get("secret").asText() + "\n");

      try (TetherAgent agent = new TetherAgent(new AgentSettings(toSecond.address(), token, Optional.of(replicas.caFile()),
          Optional.of(plane.kubeconfig()), Duration.ofMillis(500), Optional.empty(), false)).start()) {
        await().atMost(Duration.ofSeconds(90)).until(() -> first.get("/api/v1/applications").path(0).path("commit").asText()
            .equals(commit));
        JsonNode connections = first.get("/api/v1/agents/prod").get("connections");
        assertThat(connections).hasSize(1);
        String second = connections.get(0).get("replica").asText();
        assertThat(replicas.get(2).logText()).as("the agent is connected to replica 2")
            .contains("Server replica " + second + " registered");
        assertThat(replicas.get(1).logText()).doesNotContain("Server replica " + second + " registered");
        String source = "/api/v1/agents/prod/sources/" + first.get("/api/v1/applications").get(0).get("inventory_id").asText();

        // A child only the cluster knows: replica 1 finds it by reading through replica 2's tunnels.
        Deployment web = client.apps().deployments().withName("web").get();
        client.apps().replicaSets().resource(new ReplicaSetBuilder().withNewMetadata().withName("web-5d9c7")
            .addNewOwnerReference().withApiVersion("apps/v1").withKind("Deployment").withName("web")
            .withUid(web.getMetadata().getUid()).withController(true).endOwnerReference().endMetadata().withNewSpec().withReplicas(1)
            .withNewSelector().withMatchLabels(Map.of("app", "web")).endSelector()
            .withNewTemplate().withNewMetadata().withLabels(Map.of("app", "web")).endMetadata().withNewSpec().addNewContainer()
            .withName("web").withImage("nginx:1.27").endContainer().endSpec().endTemplate().endSpec().build()).create();
        JsonNode tree = first.get(source + "/tree");
        assertThat(tree.get("error").isNull()).as("tree error: %s", tree.get("error")).isTrue();
        assertThat(tree.get("children").toString()).contains("web-5d9c7", "ReplicaSet");

        client.configMaps().withName("settings").edit(cm -> {
          cm.getData().put("value", "red");
          return cm;
        });
        JsonNode object = first.get(source + "/object?kind=ConfigMap&namespace=" + ns + "&name=settings");
        assertThat(object.get("live").toString()).contains("\"red\"");
        assertThat(object.get("diff").toString()).contains("data.value");

        AuditLog audit = new AuditLog(plane);
        long mark = audit.mark();
        JsonNode synced = first.post(source + "/sync", Map.of());
        assertThat(synced.get("done").asText()).contains("The agent is applying team/app now");
        await().atMost(Duration.ofSeconds(30)).until(() -> "blue".equals(client.configMaps().withName("settings").get().getData()
            .get("value")));
        assertThat(audit.writesSince(mark, "tether-agent/")).anySatisfy(w ->
            assertThat(w.path("objectRef").path("name").asText()).isEqualTo("settings"));

        JsonNode paused = first.post(source + "/pause", Map.of());
        assertThat(paused.get("done").asText()).contains("Drift correction paused");
        await().atMost(Duration.ofSeconds(20)).until(() -> first.get("/api/v1/applications").get(0).get("drift_paused").asBoolean());
      } finally {
        for (ServerReplicas.Replica replica : replicas.all()) {
          System.out.println("--- " + replica.log());
          replica.logText().lines().filter(l -> l.contains("WARN") || l.contains("ERROR") || l.contains("replica"))
              .limit(40).forEach(System.out::println);
        }
      }
    }
  }
}
