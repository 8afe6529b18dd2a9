package dev.tether.it.readme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.it.support.Browser;
import dev.tether.testkit.process.ExternalCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The README's promise, followed as a new user would: run tools/demo.sh, open the UI it prints, see
 * the example objects Synced and Healthy, list them with kubectl through the proxy, push a commit
 * and watch it sync, then Ctrl-C, after which nothing the demo started is left running.
 */
class DemoTest {
  private static final Path REPO = Path.of("..").toAbsolutePath().normalize();

  @Test
  @DisplayName("tools/demo.sh: UI shows the examples Synced and Healthy, kubectl lists them through the proxy, Ctrl-C stops all")
  void runTheDemo(@TempDir Path dir) throws Exception {
    Path demoDir = dir.resolve("demo");
    Path output = dir.resolve("demo.out");
    Process demo = new ProcessBuilder("bash", "tools/demo.sh", "--dir", demoDir.toString(), "--http-port", "0", "--agent-port", "0",
        "--proxy-port", "0").directory(REPO.toFile()).redirectErrorStream(true).redirectOutput(output.toFile()).start();
    try {
      await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(300)).until(() -> {
        assertThat(demo.isAlive()).as("the demo is running:\n" + read(output)).isTrue();
        return read(output).contains("Following events");
      });
      String printed = read(output);
      assertThat(printed).contains("every object Healthy", "agent applied it");
      String ui = find(printed, "Web UI +(\\S+)");
      String adminToken = find(printed, "Admin token +(\\S+)");
      String kubeconfig = find(printed, "export KUBECONFIG=(\\S+)");
      String kubectlDir = find(printed, "export PATH=([^:]+):\\$PATH");
      String workTree = find(printed, "Change Git +cd (\\S+) &&");

      // The UI: sign in with the printed token; the agent's examples are Synced and Healthy.
      try (Browser browser = new Browser(dir.resolve("chromium"), Path.of("target", "ui-screenshots"))) {
        browser.open(ui);
        browser.await(By.id("token")).sendKeys(adminToken);
        browser.driver().findElement(By.id("sign-in")).click();
        // The applications list is the landing page; the agent's own page is under Agents.
        browser.await(By.id("applications"));
        browser.driver().findElement(By.linkText("Agents")).click();
        browser.awaitText(By.cssSelector("#agents tr[data-agent='demo']"), "6/6 healthy");
        browser.driver().findElement(By.linkText("demo")).click();
        browser.awaitText(By.id("projects"), "Synced");
        List<WebElement> objects = browser.driver().findElements(By.cssSelector("#projects tr.object"));
        assertThat(objects).extracting(o -> o.findElement(By.cssSelector("td")).getText())
            .containsExactlyInAnyOrder("Namespace", "ConfigMap", "Service", "ServiceAccount", "Role", "RoleBinding");
        assertThat(objects).allSatisfy(o -> assertThat(o.findElement(By.cssSelector("td.health")).getText()).isEqualTo("Healthy"));
        browser.screenshot("demo-agent");
      }

      // kubectl through the proxy, with the kubeconfig the demo printed.
      String kubectl = Path.of(kubectlDir, "kubectl").toString();
      String listed = ExternalCommand.of(kubectl, "--kubeconfig", kubeconfig, "get", "configmaps,services,serviceaccounts",
          "-o", "name").timeout(Duration.ofMinutes(1)).run().orThrow().stdout();
      assertThat(listed).contains("configmap/web-settings", "service/web", "serviceaccount/web");
      assertThat(ExternalCommand.of(kubectl, "--kubeconfig", kubeconfig, "get", "configmap", "web-settings", "-o",
          "jsonpath={.data.color}").run().orThrow().stdout()).isEqualTo("green");

      // A change pushed with plain git, as the demo suggests, is synced and shows in its terminal.
      Path settings = Path.of(workTree, "manifests", "settings.yaml");
      Files.writeString(settings, Files.readString(settings).replace("Hello from Git", "Hello from a test"));
      ExternalCommand.of("git", "commit", "-q", "-am", "Change the greeting").directory(Path.of(workTree))
          .env("GIT_AUTHOR_NAME", "Demo User").env("GIT_AUTHOR_EMAIL", "demo@example.invalid")
          .env("GIT_COMMITTER_NAME", "Demo User").env("GIT_COMMITTER_EMAIL", "demo@example.invalid").run().orThrow();
      ExternalCommand.of("git", "push", "-q").directory(Path.of(workTree)).run().orThrow();
      String commit = ExternalCommand.of("git", "rev-parse", "HEAD").directory(Path.of(workTree)).run().orThrow().stdout().strip();
      await().atMost(Duration.ofSeconds(60)).until(() -> read(output).contains("Synced " + commit.substring(0, 12)));

      // Ctrl-C: everything stops, nothing stays behind.
      ExternalCommand.of("kill", "-INT", Long.toString(demo.pid())).run().orThrow();
      assertThat(demo.waitFor(60, TimeUnit.SECONDS)).as("the demo exits on Ctrl-C:\n" + read(output)).isTrue();
      assertThat(read(output)).contains("agent stopped", "server stopped", "control plane stopped", "Nothing left running");
      assertThat(ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains(demoDir.toString())))
          .as("processes the demo started").isEmpty();
      assertThat(read(output)).doesNotContain("Exception");
    } finally {
      demo.descendants().forEach(ProcessHandle::destroyForcibly);
      demo.destroyForcibly();
    }
  }

  @Test
  @DisplayName("tools/demo.sh --help: plain text even where picocli would style it, and the script's usage comment names every option")
  void helpIsPlainAndMatchesTheUsageComment(@TempDir Path dir) throws Exception {
    Path output = dir.resolve("help.out");
    ProcessBuilder help = new ProcessBuilder("bash", "tools/demo.sh", "--help").directory(REPO.toFile())
        .redirectOutput(output.toFile()).redirectError(dir.resolve("help.err").toFile());
    // As in a terminal, where picocli styles help unless told not to.
    help.environment().put("JAVA_TOOL_OPTIONS", "-Dpicocli.ansi=true");
    assertThat(help.start().waitFor()).as("tools/demo.sh --help exits 0").isZero();
    String printed = read(output);
    assertThat(printed).contains("Usage: tools/demo.sh").doesNotContain("\u001b");
    String usageComment = Files.readAllLines(REPO.resolve("tools/demo.sh")).stream()
        .filter(line -> line.startsWith("# Usage:")).findFirst().orElseThrow();
    Matcher option = Pattern.compile("(?m)^\\s+(?:-\\w, )?(--[a-z-]+)").matcher(printed);
    List<String> options = new java.util.ArrayList<>();
    while (option.find()) {
      options.add(option.group(1));
    }
    assertThat(options).as("options in --help").contains("--dir", "--http-port", "--help");
    assertThat(options).allSatisfy(o -> assertThat(usageComment).as("the usage comment of tools/demo.sh").contains(o));
  }

  private static String find(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    assertThat(m.find()).as("'" + regex + "' in the demo's output:\n" + text).isTrue();
    return m.group(1);
  }

  private static String read(Path file) throws IOException {
    return Files.exists(file) ? Files.readString(file) : "";
  }
}
