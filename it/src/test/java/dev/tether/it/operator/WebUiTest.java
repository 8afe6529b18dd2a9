package dev.tether.it.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.it.support.Browser;
import dev.tether.it.support.GitopsSetup;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.WithKubernetes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The web UI in a real browser against a real server, agent and API server: each page shows the
 * state the API holds, updates without a reload, and leaves a screenshot in target/ui-screenshots.
 */
@WithKubernetes
class WebUiTest {
  private static final Path SCREENSHOTS = Path.of("target", "ui-screenshots");

  private static String object(String kind, String apiVersion, String name, String rest) {
    return "apiVersion: " + apiVersion + "\nkind: " + kind + "\nmetadata:\n  name: " + name + "\n" + rest;
  }

  @Test
  @DisplayName("sign in, agents, agent page with objects, health badges, timeline and events, projects, token creation, live updates")
  void everyPage(@TempDir Path dir, KubeControlPlane plane, TestNamespace ns) throws Exception {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app");
        Browser browser = new Browser(dir.resolve("chromium"), SCREENSHOTS)) {
      setup.manifests.write("manifests/config.yaml", object("ConfigMap", "v1", "settings", "data:\n  color: blue\n"));
      setup.manifests.write("manifests/service.yaml", object("Service", "v1", "web",
          "spec:\n  ports:\n    - port: 80\n  selector:\n    app: web\n"));
      String first = setup.manifests.commitAndPush("Add the app");
      setup.configure("gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns + "\n");
      setup.startAgent();
      setup.awaitSync(first);
      String ui = setup.tether.server().httpUrl() + "/";

      // Sign-in: a wrong token is refused with a message, the right one opens the agents list.
      browser.open(ui);
      browser.await(By.id("token")).sendKeys("tether-admin-wrong0000000000000000000000000000");
      browser.screenshot("01-sign-in");
      browser.driver().findElement(By.id("sign-in")).click();
      browser.awaitText(By.id("sign-in-error"), "refused");
      WebElement token = browser.driver().findElement(By.id("token"));
      token.clear();
      token.sendKeys(setup.tether.adminToken());
      browser.driver().findElement(By.id("sign-in")).click();

      // Agents (the applications list is the landing page now): connected, with its sync summary.
      browser.await(By.id("applications"));
      browser.driver().findElement(By.linkText("Agents")).click();
      By row = By.cssSelector("#agents tr[data-agent='prod']");
      browser.awaitText(row, "Connected");
      browser.awaitText(row, "2/2 healthy");
      assertThat(browser.driver().findElement(row).getText()).contains("Synced", "Config valid", "team/app @ " + first.substring(0, 12));
      browser.screenshot("02-agents");

      // Agent page: config, objects with health badges, the timeline, events.
      browser.driver().findElement(By.linkText("prod")).click();
      browser.awaitText(By.id("projects"), first.substring(0, 12));
      List<WebElement> objects = browser.driver().findElements(By.cssSelector("#projects tr.object"));
      assertThat(objects).hasSize(2);
      assertThat(objects).allSatisfy(o -> assertThat(o.findElement(By.cssSelector("td.health .badge")).getText()).isEqualTo("Healthy"));
      assertThat(browser.driver().findElement(By.id("projects")).getText()).contains("Synced", "ConfigMap", "settings", "Service",
          "manifests/config.yaml", "source: raw manifests");
      assertThat(browser.driver().findElement(By.id("config-content")).getText()).contains("manifest_projects", "team/app");
      assertThat(browser.driver().findElements(By.cssSelector("#timeline rect.sync-bar.ok"))).hasSize(1);
      assertThat(browser.driver().findElement(By.id("events")).getText()).contains("Synced " + first.substring(0, 12), "Connected");
      browser.screenshot("03-agent");

      // Live: a new commit shows up on the open page without a reload.
      setup.manifests.write("manifests/extra.yaml", object("ConfigMap", "v1", "extra", "data:\n  k: v\n"));
      String second = setup.manifests.commitAndPush("Add another object");
      browser.awaitText(By.id("projects"), second.substring(0, 12));
      await().atMost(Duration.ofSeconds(20)).until(() ->
          browser.driver().findElements(By.cssSelector("#projects tr.object")).size() == 3
              && browser.driver().findElements(By.cssSelector("#timeline rect.sync-bar")).size() == 2);
      assertThat(browser.driver().findElement(By.id("events")).getText()).contains("Synced " + second.substring(0, 12));

      // An invalid config shows its errors, with the file position, while the valid one stays in use.
      setup.configure("gitops:\n  manifest_projects:\n    - id: team/app\n      prune: maybe\n");
      browser.awaitText(By.id("config"), "invalid");
      assertThat(browser.await(By.id("config-errors")).getText()).contains(":4:14", "gitops.manifest_projects[0].prune", "maybe");
      assertThat(browser.driver().findElement(By.id("config-content")).getText()).contains("default_namespace");
      browser.screenshot("04-agent-invalid-config");

      // Token creation: shown once with the install command; the API knows the token, a reload forgets the secret.
      browser.driver().findElement(By.id("token-description")).sendKeys("second cluster");
      browser.driver().findElement(By.id("create-token")).click();
      String secret = browser.await(By.id("new-token")).getText().strip();
      assertThat(secret).startsWith("tether-agent-");
      String install = browser.driver().findElement(By.id("install-command")).getText();
      assertThat(install).contains("cat > prod.token", secret,
          "tether agent manifests --name prod --server 127.0.0.1:" + setup.tether.server().agentAddress().getPort(),
          "--token-file prod.token --ca-file tether-ca.crt | kubectl apply -f -", "BEGIN CERTIFICATE");
      browser.screenshot("05-token-created");
      JsonNode tokens = setup.tether.api().get("/api/v1/agents/prod/tokens");
      assertThat(tokens).anySatisfy(t -> assertThat(t.get("description").asText()).isEqualTo("second cluster"));
      browser.driver().navigate().refresh();
      browser.awaitText(By.id("token-list"), "second cluster");
      assertThat(browser.driver().getPageSource()).doesNotContain(secret);

      // Projects: both, fetched, with the agent that uses them.
      browser.driver().findElement(By.linkText("Projects")).click();
      By manifests = By.cssSelector("#projects tr[data-project='team/app']");
      browser.awaitText(manifests, "ok");
      assertThat(browser.driver().findElement(manifests).getText()).contains(second.substring(0, 12), "prod");
      assertThat(browser.driver().findElement(By.cssSelector("#projects tr[data-project='platform/config']")).getText())
          .contains("prod");
      browser.screenshot("06-projects");

      // Register an agent: its first token, once, with the install command.
      browser.driver().findElement(By.linkText("Agents")).click();
      browser.await(By.id("new-agent-name")).sendKeys("staging");
      new org.openqa.selenium.support.ui.Select(browser.driver().findElement(By.id("new-agent-project")))
          .selectByVisibleText("platform/config");
      browser.driver().findElement(By.id("register-agent")).click();
      assertThat(browser.await(By.id("install-command")).getText()).contains("tether agent manifests --name staging");
      browser.awaitText(By.id("agents"), "staging");
      browser.screenshot("07-agent-registered");

      // Events: the whole feed.
      browser.driver().findElement(By.linkText("Events")).click();
      browser.awaitText(By.id("all-events"), "Agent 'staging' created");
      assertThat(browser.driver().findElement(By.id("all-events")).getText()).contains("invalid", "Synced", "Connected");
      browser.screenshot("08-events");

      // Signing out forgets the token.
      browser.driver().findElement(By.id("sign-out")).click();
      browser.await(By.id("token"));
      assertThat(Files.list(SCREENSHOTS).count()).isGreaterThanOrEqualTo(8);
    }
  }
}
