package dev.tether.it.store;

import static dev.tether.it.support.GitopsSetup.configMap;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.agent.gitops.Action;
import dev.tether.agent.gitops.Phase;
import dev.tether.agent.gitops.SyncOutcome;
import dev.tether.it.support.GitopsSetup;
import dev.tether.server.store.DatabaseSettings;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.WithKubernetes;
import dev.tether.testkit.postgres.PostgresDatabase;
import dev.tether.testkit.postgres.WithPostgres;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole server on a real PostgreSQL: an agent connects with its token and GitOps applies, and it all survives a restart. */
@WithKubernetes
@WithPostgres
class ServerOnPostgresTest {

  @Test
  @DisplayName("a server on PostgreSQL: an agent connects with a token, GitOps applies, and after a restart the same token and state are there")
  void gitopsOnPostgres(@TempDir Path dir, KubeControlPlane plane, TestNamespace ns, KubernetesClient kube, PostgresDatabase pg)
      throws Exception {
    DatabaseSettings.Postgres database = new DatabaseSettings.Postgres(pg.jdbcUrl(), pg.user(), Optional.of(pg.password()));
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app", settings -> settings.withDatabase(database))) {
      setup.manifests.write("app/a.yaml", configMap("alpha", "1"));
      String first = setup.manifests.commitAndPush("A map");
      setup.configure("gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns
          + "\n      paths: [ { glob: 'app/*.yaml' } ]\n");
      setup.startAgent();

      SyncOutcome synced = setup.awaitSync(first);
      assertThat(synced.phase()).isEqualTo(Phase.SYNCED);
      assertThat(synced.count(Action.CREATED)).isEqualTo(1);
      assertThat(kube.configMaps().withName("alpha").get().getData()).containsEntry("value", "1");
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
          assertThat(setup.tether.agentStatus("prod").path("gitops").path(0).path("commit").asText()).isEqualTo(first));

      // What the server recorded is in PostgreSQL, not in an H2 file of the data dir.
      assertThat(count(pg, "select count(*) from agents where name = 'prod'")).isEqualTo(1);
      // A token's last use is written with the connection's other activity, in batches every 250 ms.
      await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
          count(pg, "select count(*) from agent_tokens where agent_name = 'prod' and last_used_at is not null")).isEqualTo(1));
      assertThat(count(pg, "select count(*) from gitops_states where agent_name = 'prod'")).isEqualTo(1);
      try (var files = Files.list(dir.resolve("server-data"))) {
        assertThat(files.map(p -> p.getFileName().toString())).noneMatch(name -> name.endsWith(".mv.db"));
      }

      // A restarted server reads agents, tokens and the last sync from the database: the agent reconnects with the same token.
      setup.tether.restartServer();
      setup.manifests.write("app/a.yaml", configMap("alpha", "2"));
      String second = setup.manifests.commitAndPush("Change the map");
      assertThat(setup.awaitSync(second).count(Action.CONFIGURED)).isEqualTo(1);
      assertThat(kube.configMaps().withName("alpha").get().getData()).containsEntry("value", "2");
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        JsonNode events = setup.tether.api().get("/api/v1/events?agent=prod&kind=sync").get("events");
        assertThat(events.toString()).contains(first.substring(0, 8)).contains(second.substring(0, 8));
      });
    }
  }

  private static long count(PostgresDatabase pg, String sql) throws SQLException {
    try (Connection c = pg.connect(); Statement s = c.createStatement(); ResultSet rows = s.executeQuery(sql)) {
      rows.next();
      return rows.getLong(1);
    }
  }
}
