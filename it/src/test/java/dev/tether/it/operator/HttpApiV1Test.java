package dev.tether.it.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.it.support.ApiClient;
import dev.tether.it.support.GitopsSetup;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.WithKubernetes;
import dev.tether.testkit.tether.TetherJar;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the UI and scripts read: agents with a sync summary, config state and text, connections, the events feed. */
@WithKubernetes
class HttpApiV1Test {

  private static String[] concat(String[] a, String[] b) {
    String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  @Test
  @DisplayName("the API and `tether admin status` show connections, config (valid and invalid), sync state and an events feed of what happened")
  void statusAndEvents(@TempDir Path dir, KubeControlPlane plane, TestNamespace ns) throws Exception {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      ApiClient api = setup.tether.api();
      setup.manifests.write("manifests/a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n");
      String commit = setup.manifests.commitAndPush("One object");
      String configYaml = "gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns + "\n";
      String configCommit = setup.configure(configYaml);
      setup.startAgent();
      setup.awaitSync(commit);

      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        JsonNode agent = api.get("/api/v1/agents/prod");
        assertThat(agent.get("gitops")).hasSize(1);
        assertThat(agent.at("/gitops/0/phase").asText()).isEqualTo("synced");
      });
      JsonNode agent = api.get("/api/v1/agents/prod");
      assertThat(agent.get("connected").asBoolean()).isTrue();
      assertThat(agent.at("/gitops/0/project").asText()).isEqualTo("team/app");
      assertThat(agent.at("/gitops/0/commit").asText()).isEqualTo(commit);
      assertThat(agent.at("/gitops/0/objects").asInt()).isEqualTo(1);
      assertThat(agent.at("/gitops/0/healthy").asInt()).isEqualTo(1);
      assertThat(api.get("/api/v1/agents").get(0).get("gitops")).hasSize(1);

      JsonNode connections = api.get("/api/v1/connections");
      assertThat(connections).hasSize(1);
      assertThat(connections.at("/0/agent").asText()).isEqualTo("prod");

      JsonNode config = api.get("/api/v1/agents/prod/config");
      assertThat(config.at("/state/state").asText()).isEqualTo("valid");
      assertThat(config.at("/state/commit").asText()).isEqualTo(configCommit);
      assertThat(config.get("content").asText()).isEqualTo(configYaml);

      // The same through the CLI, as a person reads it.
      String[] admin = {"--server-url", setup.tether.server().httpUrl(), "--admin-token-file",
          setup.tether.server().adminTokenFile().toString()};
      String table = TetherJar.run(concat(new String[] {"admin", "status"}, admin)).run().orThrow().stdout();
      assertThat(table.lines().findFirst().orElseThrow()).contains("AGENT", "CONNECTED", "PROJECT", "COMMIT", "PHASE", "OBJECTS");
      // The INVENTORY column (namespace/name) tells two entries of one project apart.
      assertThat(table).containsPattern("prod +yes +valid +team/app +\\S+/inventory-prod-team.app +" + commit.substring(0, 12) + " +synced +1/1 +0 ");
      JsonNode json = ApiClient.JSON.readTree(TetherJar.run(concat(new String[] {"admin", "status", "-o", "json"}, admin))
          .run().orThrow().stdout());
      assertThat(json.at("/0/gitops/0/phase").asText()).isEqualTo("synced");
      String feed = TetherJar.run(concat(new String[] {"admin", "events", "--agent", "prod", "--kind", "sync"}, admin))
          .run().orThrow().stdout();
      assertThat(feed).contains("team/app", "Synced " + commit.substring(0, 12));

      setup.configure("gitops:\n  manifest_projects:\n    - id: team/app\n      prune: maybe\n");
      await().atMost(Duration.ofSeconds(10)).until(() -> api.get("/api/v1/agents/prod/config").at("/state/state").asText()
          .equals("invalid"));
      config = api.get("/api/v1/agents/prod/config");
      assertThat(config.at("/state/errors/0/line").asInt()).isEqualTo(4);
      assertThat(config.at("/state/errors/0/path").asText()).isEqualTo("gitops.manifest_projects[0].prune");
      assertThat(config.get("content").asText()).as("the valid config stays in use").isEqualTo(configYaml);

      // The feed, newest first, with everything above in it.
      JsonNode events = api.get("/api/v1/events?agent=prod").get("events");
      List<String> kinds = new ArrayList<>();
      events.forEach(e -> kinds.add(e.get("kind").asText()));
      assertThat(kinds).contains("registry", "token", "connection", "config", "sync");
      assertThat(events.get(0).get("kind").asText()).isEqualTo("config");
      assertThat(events.get(0).get("severity").asText()).isEqualTo("warning");
      assertThat(events.get(0).get("message").asText()).contains("invalid", "prune");
      JsonNode sync = api.get("/api/v1/events?agent=prod&kind=sync").get("events").get(0);
      assertThat(sync.at("/details/commit").asText()).isEqualTo(commit);
      assertThat(sync.at("/details/phase").asText()).isEqualTo("synced");
      assertThat(sync.at("/details/applied").asInt()).isEqualTo(1);
      assertThat(sync.get("project").asText()).isEqualTo("team/app");

      // Paging: two at a time walks the same feed.
      JsonNode page = api.get("/api/v1/events?agent=prod&limit=2");
      assertThat(page.get("events")).hasSize(2);
      long before = page.get("next_before").asLong();
      JsonNode next = api.get("/api/v1/events?agent=prod&limit=2&before=" + before);
      assertThat(next.at("/events/0/id").asLong()).isLessThan(before);
      assertThat(next.at("/events/0/id").asLong()).isEqualTo(events.get(2).get("id").asLong());

      // Errors are JSON that say what to do; the OpenAPI document needs no token.
      ApiClient.Response bad = api.send("GET", "/api/v1/events?limit=0", null,
          Map.of("Authorization", "Bearer " + setup.tether.adminToken()));
      assertThat(bad.status()).isEqualTo(400);
      assertThat(bad.body().get("error").asText()).contains("limit must be between 1 and 500");
      ApiClient.Response anonymous = api.send("GET", "/api/v1/events", null, Map.of());
      assertThat(anonymous.status()).isEqualTo(401);
      assertThat(anonymous.body().get("error").asText()).contains("admin token required");
      ApiClient.Response openapi = api.send("GET", "/api/v1/openapi.json", null, Map.of());
      assertThat(openapi.status()).isEqualTo(200);
      assertThat(openapi.body().get("openapi").asText()).startsWith("3.1");
      assertThat(openapi.body().at("/paths/~1api~1v1~1events/get")).isNotNull();
    }
  }
}
