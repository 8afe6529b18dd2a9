package dev.tether.it.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.it.support.Browser;
import dev.tether.it.support.GitopsSetup;
import dev.tether.testkit.k8s.AuditLog;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.WithKubernetes;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

/**
 * The applications views in real Chromium against a real server, agent and API server, with a
 * source of 100 objects: the list, the source page with its live tree, the object panel with the
 * diff of an out-of-band change, actions and history. Screenshots go to target/ui-screenshots,
 * named apps-NN-what.
 */
@WithKubernetes
class ApplicationsUiTest {
  private static final Path SCREENSHOTS = Path.of("target", "ui-screenshots");

  /** 100 objects: 97 ConfigMaps, a Service, a Secret and a Deployment that never becomes available (no kubelet here). */
  private static void writeHundredObjects(GitopsSetup setup) {
    StringBuilder many = new StringBuilder();
    for (int i = 0; i < 96; i++) {
      many.append(GitopsSetup.configMap(String.format("cm-%03d", i), "v" + i)).append("---\n");
    }
    setup.manifests.write("manifests/many.yaml", many.toString());
    setup.manifests.write("manifests/settings.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n");
    setup.manifests.write("manifests/service.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n"
        + "    - port: 80\n  selector:\n    app: web\n");
    setup.manifests.write("manifests/secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\nstringData:\n"
        + "  password: hunter2-very-secret\n");
    setup.manifests.write("manifests/web.yaml", """
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
  }

  /** The tree is redrawn when a report or the live children arrive: a row found a moment ago may be replaced. */
  private static void clickRow(Browser browser, By row) {
    await().atMost(Duration.ofSeconds(10)).ignoreException(org.openqa.selenium.StaleElementReferenceException.class).until(() -> {
      browser.driver().findElement(row).click();
      return true;
    });
  }

  private static String admin(GitopsSetup setup, String... args) {
    List<String> command = new java.util.ArrayList<>(List.of("admin"));
    command.addAll(List.of(args));
    command.addAll(List.of("--server-url", setup.tether.server().httpUrl(), "--admin-token-file",
        setup.tether.server().adminTokenFile().toString()));
    return dev.tether.testkit.tether.TetherJar.run(command.toArray(String[]::new)).run().orThrow().stdout();
  }

  @Test
  @DisplayName("applications list, source page with live tree, Degraded Deployment found by filter, object panel with the diff "
      + "of an out-of-band change and events, refresh action, history, keyboard")
  void applications(@TempDir Path dir, KubeControlPlane plane, TestNamespace ns) throws Exception {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app");
        Browser browser = new Browser(dir.resolve("chromium"), SCREENSHOTS);
        KubernetesClient client = plane.newAdminClient(ns.name())) {
      writeHundredObjects(setup);
      String commit = setup.manifests.commitAndPush("Add the app");
      setup.configure("gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns
          + "\n      reconcile_timeout: 3s\n      drift: report\n");
      setup.startAgent();
      setup.awaitSync(commit);
      // The Deployment turns Failed (not available within reconcile_timeout) in a later report.
      await().atMost(Duration.ofSeconds(30)).until(() -> setup.tether.api().get("/api/v1/applications").get(0)
          .get("health").asText().equals("Degraded"));
      JsonNode application = setup.tether.api().get("/api/v1/applications").get(0);
      assertThat(application.get("objects").asInt()).isEqualTo(100);
      String inventory = application.get("inventory_id").asText();

      // The cluster's children of the Deployment: no controller runs here, so the test makes what one would.
      Deployment web = client.apps().deployments().withName("web").get();
      var replicaSet = client.apps().replicaSets().resource(new ReplicaSetBuilder().withNewMetadata().withName("web-5d9c7")
          .addNewOwnerReference().withApiVersion("apps/v1").withKind("Deployment").withName("web").withUid(web.getMetadata().getUid())
          .withController(true).endOwnerReference().endMetadata().withNewSpec().withReplicas(1)
          .withNewSelector().withMatchLabels(Map.of("app", "web")).endSelector()
          .withNewTemplate().withNewMetadata().withLabels(Map.of("app", "web")).endMetadata().withNewSpec().addNewContainer()
          .withName("web").withImage("nginx:1.27").endContainer().endSpec().endTemplate().endSpec().build()).create();
      client.pods().resource(new PodBuilder().withNewMetadata().withName("web-5d9c7-x2x4q").withLabels(Map.of("app", "web"))
          .addNewOwnerReference().withApiVersion("apps/v1").withKind("ReplicaSet").withName("web-5d9c7")
          .withUid(replicaSet.getMetadata().getUid()).withController(true).endOwnerReference().endMetadata()
          .withNewSpec().addNewContainer().withName("web").withImage("nginx:1.27").endContainer().endSpec().build()).create();
      client.v1().events().resource(new EventBuilder().withNewMetadata().withName("web.deadline").endMetadata()
          .withNewInvolvedObject().withApiVersion("apps/v1").withKind("Deployment").withName("web").withNamespace(ns.name())
          .withUid(web.getMetadata().getUid()).endInvolvedObject().withType("Warning").withReason("ProgressDeadlineExceeded")
          .withMessage("ReplicaSet web-5d9c7 has timed out progressing").withCount(1).build()).create();

      browser.open(setup.tether.server().httpUrl() + "/");
      browser.await(By.id("token")).sendKeys(setup.tether.adminToken());
      browser.driver().findElement(By.id("sign-in")).click();

      // 1. Applications: the entry with its source, ref, commit, phase and health; filters narrow the list.
      By row = By.cssSelector("#applications tr.application[data-agent='prod']");
      browser.awaitText(row, "Degraded");
      assertThat(browser.driver().findElement(row).getText()).contains("team/app", "raw", "default branch", commit.substring(0, 12),
          "Synced", "99/100");
      new Select(browser.driver().findElement(By.id("filter-health"))).selectByVisibleText("Healthy");
      browser.awaitText(By.id("applications"), "0 of 1 applications");
      new Select(browser.driver().findElement(By.id("filter-health"))).selectByVisibleText("Degraded");
      browser.driver().findElement(By.id("filter-search")).sendKeys("team/app");
      browser.awaitText(By.id("applications"), "1 of 1 applications");
      browser.screenshot("apps-01-applications");

      // 2. The source page: header with the commit's message and author, counts, the resource tree grouped by namespace and kind.
      browser.driver().findElement(By.linkText("team/app")).click();
      browser.awaitText(By.id("source-header"), "Add the app");
      assertThat(browser.driver().findElement(By.id("source-header")).getText()).contains(commit.substring(0, 12), "Synced", "Degraded",
          "100 objects", "took");
      browser.await(By.cssSelector("#resources section.group[data-group='" + ns + "/ConfigMap']"));
      browser.awaitText(By.id("tree-status"), "2 live children");
      browser.screenshot("apps-02-source");
      double renderMillis = ((Number) browser.script("return performance.getEntriesByName('source-render')[0].duration")).doubleValue();
      System.out.printf("Source page of 100 objects rendered in %.0f ms (Chromium, Performance API)%n", renderMillis);

      // 3. The Degraded Deployment among 100 objects: one action (the health filter) shows it alone, a second opens it.
      new Select(browser.driver().findElement(By.id("filter-object-health"))).selectByVisibleText("Degraded");
      List<WebElement> shown = browser.driver().findElements(By.cssSelector("#resources tr.object"));
      assertThat(shown).hasSize(1);
      assertThat(shown.get(0).getAttribute("data-kind")).isEqualTo("Deployment");
      // Its live children by owner references, read through the agent's tunnel.
      assertThat(browser.driver().findElements(By.cssSelector("#resources tr.child")).stream().map(WebElement::getText).toList())
          .satisfiesExactly(rs -> assertThat(rs).contains("ReplicaSet", "web-5d9c7", "0/1 ready"),
              pod -> assertThat(pod).contains("Pod", "web-5d9c7-x2x4q", "Pending"));
      browser.screenshot("apps-03-degraded-by-filter");
      clickRow(browser, By.cssSelector("#resources tr.object[data-name='web']"));
      browser.awaitText(By.id("object-panel"), "ProgressDeadlineExceeded");
      assertThat(browser.driver().findElement(By.id("object-panel")).getText()).contains("Deployment", ns + "/web", "Degraded",
          "not Current within reconcile_timeout", "manifests/web.yaml", "ReplicaSet web-5d9c7 has timed out progressing");
      assertThat(browser.driver().findElement(By.id("live-yaml")).getText()).contains("kind: Deployment", "uid:");
      browser.screenshot("apps-04-object-panel");
      browser.driver().findElement(By.id("close-panel")).click();

      // 4. A field changed out of band: the agent reports it (drift: report), the filter finds it, the diff shows it.
      client.configMaps().withName("settings").edit(cm -> {
        cm.getData().put("color", "red");
        return cm;
      });
      new Select(browser.driver().findElement(By.id("filter-object-health"))).selectByVisibleText("All health");
      browser.driver().findElement(By.id("filter-differs")).click();
      browser.awaitText(By.id("resources"), "settings");
      List<WebElement> differing = browser.driver().findElements(By.cssSelector("#resources tr.object"));
      assertThat(differing).hasSize(1);
      clickRow(browser, By.cssSelector("#resources tr.object[data-name='settings']"));
      browser.awaitText(By.id("diff"), "data.color");
      assertThat(browser.driver().findElement(By.id("diff")).getText()).contains("+ blue", "− red");
      browser.screenshot("apps-05-diff");
      browser.driver().findElement(By.id("close-panel")).click();

      // 5. The Secret's panel never shows its value, live or desired.
      browser.driver().findElement(By.id("filter-differs")).click();
      new Select(browser.driver().findElement(By.id("filter-kind"))).selectByVisibleText("Secret");
      clickRow(browser, By.cssSelector("#resources tr.object[data-name='creds']"));
      browser.awaitText(By.id("live-yaml"), "redacted");
      assertThat(browser.driver().getPageSource()).doesNotContain("hunter2-very-secret", "aHVudGVyMi12ZXJ5LXNlY3JldA==");
      browser.screenshot("apps-06-secret-redacted");
      // Keyboard: Escape closes the panel and gives focus back to the row; Enter opens it again.
      browser.driver().switchTo().activeElement().sendKeys(Keys.ESCAPE);
      await().atMost(Duration.ofSeconds(5)).until(() -> !browser.driver().findElement(By.id("object-panel")).isDisplayed());
      WebElement focused = browser.driver().switchTo().activeElement();
      assertThat(focused.getAttribute("data-name")).isEqualTo("creds");
      focused.sendKeys(Keys.ENTER);
      browser.awaitText(By.id("object-panel"), "Secret");
      browser.driver().switchTo().activeElement().sendKeys(Keys.ESCAPE);

      // 6. Refresh: confirmed, done, recorded in the events feed.
      browser.driver().findElement(By.id("action-refresh")).click();
      browser.driver().switchTo().alert().accept();
      browser.awaitText(By.id("action-result"), "Fetching team/app now");
      JsonNode events = setup.tether.api().get("/api/v1/events?agent=prod&kind=action").get("events");
      assertThat(events.toString()).contains("Refresh of team/app");
      browser.screenshot("apps-07-actions");

      // 7. History: the sync, with what it changed, openable.
      browser.awaitText(By.id("history-list"), commit.substring(0, 12));
      browser.driver().findElement(By.cssSelector("#history-list details.sync-entry summary")).click();
      assertThat(browser.driver().findElement(By.cssSelector("#history-list details.sync-entry")).getText())
          .contains("created ConfigMap " + ns + "/cm-000", "Took");
      browser.screenshot("apps-08-history");

      // 8. Sync now: the agent applies at once; the API server's audit log shows its writes, and the drifted field is back.
      AuditLog audit = new AuditLog(plane);
      long mark = audit.mark();
      browser.driver().findElement(By.id("action-sync")).click();
      browser.driver().switchTo().alert().accept();
      browser.awaitText(By.id("action-result"), "The agent is applying team/app now");
      await().atMost(Duration.ofSeconds(30)).until(() -> "blue".equals(client.configMaps().withName("settings").get().getData().get("color")));
      assertThat(audit.writesSince(mark, "tether-agent/")).anySatisfy(w -> {
        assertThat(w.path("verb").asText()).isEqualTo("patch");
        assertThat(w.path("objectRef").path("name").asText()).isEqualTo("settings");
      });
      assertThat(setup.tether.api().get("/api/v1/events?agent=prod&kind=action").get("events").toString()).contains("Sync now for team/app");
      browser.screenshot("apps-09-sync-now");
      // The CLI has the same list and actions.
      // (Right after a sync the Deployment is Progressing again until reconcile_timeout passes.)
      assertThat(admin(setup, "app", "list")).contains("team/app", inventory, "synced", "99/100");
      // Nothing differs now, so this sync writes nothing (the engine compares first): the agent's own record shows it ran.
      java.time.Instant beforeCli = java.time.Instant.now();
      assertThat(admin(setup, "app", "sync", "prod", "team/app")).contains("The agent is applying team/app now");
      await().atMost(Duration.ofSeconds(30)).until(() -> setup.agent().gitops().outcome("team/app")
          .map(o -> o.started().isAfter(beforeCli)).orElse(false));

      // 9. Pause drift correction (with drift: correct): a change in the cluster stays and is reported; resume puts it back.
      setup.configure("gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns
          + "\n      reconcile_timeout: 3s\n");
      await().atMost(Duration.ofSeconds(30)).until(() ->
          !setup.tether.api().get("/api/v1/agents/prod/config").path("content").asText().contains("drift: report"));
      browser.awaitText(By.id("actions"), "Pause drift correction");
      browser.driver().findElement(By.id("action-pause")).click();
      browser.driver().switchTo().alert().accept();
      browser.awaitText(By.id("source-header"), "Drift correction paused");
      client.configMaps().withName("cm-001").edit(cm -> {
        cm.getData().put("value", "changed by hand");
        return cm;
      });
      new Select(browser.driver().findElement(By.id("filter-kind"))).selectByVisibleText("All kinds");
      browser.driver().findElement(By.id("filter-differs")).click();
      browser.awaitText(By.id("resources"), "drift correction paused");
      assertThat(client.configMaps().withName("cm-001").get().getData()).containsEntry("value", "changed by hand");
      browser.screenshot("apps-10-drift-paused");
      browser.driver().findElement(By.id("action-resume")).click();
      browser.driver().switchTo().alert().accept();
      await().atMost(Duration.ofSeconds(30)).until(() -> "v1".equals(client.configMaps().withName("cm-001").get().getData().get("value")));
      browser.awaitText(By.id("actions"), "Pause drift correction");
      assertThat(inventory).isNotEmpty();
    }
  }
}
