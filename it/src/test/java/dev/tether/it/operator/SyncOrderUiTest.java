package dev.tether.it.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.it.support.Browser;
import dev.tether.it.support.GitopsSetup;
import dev.tether.testkit.git.GitRepository;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.WithKubernetes;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;

/**
 * Ordering in the web UI, in real Chromium against a real server, agent and API server: a source
 * held at sync wave 0 (its Deployment is not available: the test control plane runs no deployment
 * controller) and a source that waits for it (depends_on). The applications list and the source page
 * say so in words beside the phase badge. Screenshot apps-13-wave-in-progress in target/ui-screenshots.
 */
@WithKubernetes
class SyncOrderUiTest {
  private static final Path SCREENSHOTS = Path.of("target", "ui-screenshots");

  @Test
  @DisplayName("the list and the source page show the wave in progress and what a source waits for, and drop them once synced")
  void waveInProgressAndWaitShown(@TempDir Path dir, KubeControlPlane plane, TestNamespace ns, KubernetesClient client) {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app");
        Browser browser = new Browser(dir.resolve("chromium"), SCREENSHOTS)) {
      String appCommit = setup.manifests.write("db.yaml", GitopsSetup.deploymentInWave("db", "0"))
          .write("app.yaml", GitopsSetup.configMap("app", "v1").replace("metadata:\n",
              "metadata:\n  annotations: {argocd.argoproj.io/sync-wave: \"1\"}\n"))
          .commitAndPush("A database, then the app");
      GitRepository web = GitRepository.create(dir.resolve("repos"), "web");
      setup.tether.addProject("team/web", web.bareDir().toString(), Map.of());
      String webCommit = web.write("web.yaml", GitopsSetup.configMap("web", "v1")).commitAndPush("The web front");
      // reconcile_timeout: the wave waits for the Deployment's health at most this long; long enough for the browser's part.
      setup.configure("gitops:\n  manifest_projects:\n"
          + "    - id: team/app\n      default_namespace: " + ns + "\n      reconcile_timeout: 180s\n"
          + "    - id: team/web\n      default_namespace: " + ns + "\n      depends_on: [team/app]\n");
      setup.startAgent();
      await().atMost(Duration.ofSeconds(40)).untilAsserted(() -> {
        JsonNode apps = setup.tether.api().get("/api/v1/applications");
        assertThat(apps.findValues("wave")).as(apps.toString()).anyMatch(w -> w.isInt() && w.asInt() == 0);
        assertThat(apps.findValues("waiting_for")).as(apps.toString()).anyMatch(w -> w.size() == 1);
      });

      browser.open(setup.tether.server().httpUrl() + "/");
      browser.await(By.id("token")).sendKeys(setup.tether.adminToken());
      browser.driver().findElement(By.id("sign-in")).click();

      // The list: the phase cell says where each sync is, in words (the badge's colour is not the only signal).
      browser.awaitText(By.id("applications"), "wave 0 (2 waves)");
      String phases = browser.driver().findElement(By.id("applications")).getText();
      assertThat(phases).contains("Syncing — wave 0 (2 waves)", "Syncing — waiting for team/app");

      // The source page of the source held at wave 0: its header says so.
      browser.driver().findElement(By.linkText("team/app")).click();
      browser.awaitText(By.id("source-header"), "wave 0 (2 waves)");
      assertThat(browser.driver().findElement(By.id("source-phase")).getText()).isEqualTo("Syncing — wave 0 (2 waves)");
      assertThat(browser.driver().findElement(By.cssSelector("#source-header h1")).getText())
          .as("no object is reported yet: no health to claim").contains("Unknown").doesNotContain("Healthy");
      assertThat(client.configMaps().withName("app").get()).as("wave 1 is not applied while wave 0 is not healthy").isNull();
      browser.screenshot("apps-13-wave-in-progress");

      // Once the Deployment is available the next wave is applied; the page updates to Synced without a wave.
      GitopsSetup.makeAvailable(client, "db");
      assertThat(setup.awaitSync(appCommit).phase().wireName()).isEqualTo("synced");
      browser.awaitText(By.id("source-phase"), "Synced");
      assertThat(browser.driver().findElement(By.id("source-phase")).getText()).isEqualTo("Synced");
      assertThat(setup.awaitSync("team/web", webCommit).phase().wireName()).isEqualTo("synced");
    }
  }
}
