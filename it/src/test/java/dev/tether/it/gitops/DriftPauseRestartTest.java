package dev.tether.it.gitops;

import static dev.tether.it.support.GitopsSetup.configMap;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.agent.TetherAgent;
import dev.tether.agent.gitops.Phase;
import dev.tether.it.support.GitopsSetup;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.WithKubernetes;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pause of drift correction is kept in the store: a server restart followed by a new agent process
 * (which remembers nothing) still leaves out-of-band changes alone, and resume works after the restart.
 */
@WithKubernetes
class DriftPauseRestartTest {

  private static JsonNode application(GitopsSetup setup) {
    return setup.tether.api().get("/api/v1/applications").get(0);
  }

  private static void change(KubernetesClient client, String value) {
    client.configMaps().withName("settings").edit(cm -> {
      cm.getData().put("value", value);
      return cm;
    });
  }

  @Test
  @DisplayName("pause, restart the server and the agent: drift is still only reported; resume after the restart puts it back")
  void pauseOutlivesRestarts(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      setup.manifests.write("a.yaml", configMap("settings", "blue"));
      String commit = setup.manifests.commitAndPush("Settings");
      setup.configure("gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns + "\n");
      setup.startAgent();
      assertThat(setup.awaitSync(commit).phase()).isEqualTo(Phase.SYNCED);
      String source = "/api/v1/agents/prod/sources/" + application(setup).get("inventory_id").asText();

      setup.tether.api().post(source + "/pause", java.util.Map.of());
      await().atMost(Duration.ofSeconds(20)).until(() -> application(setup).get("drift_paused").asBoolean());

      // The agent process goes away with what it remembered; the server restarts; a new process connects.
      setup.agent().close();
      setup.tether.restartServer();
      TetherAgent second = setup.startAnotherProcess();
      await().atMost(Duration.ofSeconds(60)).until(() -> second.gitops().outcome("team/app")
          .map(o -> o.commit().equals(commit) && o.phase() == Phase.SYNCED).orElse(false));
      await("the new agent process runs paused, as the store says").atMost(Duration.ofSeconds(20))
          .until(() -> application(setup).get("drift_paused").asBoolean());

      change(client, "red");
      await().atMost(Duration.ofSeconds(10)).until(() -> application(setup).get("drifted").asInt() == 1);
      // Drift correction puts a change back within about a second; paused, it stays.
      await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6))
          .until(() -> "red".equals(client.configMaps().withName("settings").get().getData().get("value")));

      setup.tether.api().post(source + "/resume", java.util.Map.of());
      await().atMost(Duration.ofSeconds(20)).until(() -> "blue".equals(client.configMaps().withName("settings").get().getData().get("value")));
      await().atMost(Duration.ofSeconds(20)).until(() -> !application(setup).get("drift_paused").asBoolean());
      second.close();
    }
  }
}
