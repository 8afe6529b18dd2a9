package dev.tether.it.install;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.common.token.SecretToken;
import dev.tether.testkit.process.ProcessResult;
import dev.tether.testkit.tether.TetherJar;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `tether agent manifests` and `tether agent` as a user runs them: help, and refusals with exit code 2. */
class AgentManifestsCommandTest {

  @Test
  @DisplayName("tether agent manifests --help explains the RBAC modes and shows examples")
  void help() {
    ProcessResult result = TetherJar.run("agent", "manifests", "--help").run().orThrow();

    assertThat(result.stdout()).contains("Usage: tether agent manifests", "--namespaced", "--allow-impersonation",
        "--image", "ghcr.io/tether-dev/tether", "cluster-wide", "Examples:", "| kubectl apply -f -");
  }

  @Test
  @DisplayName("tether agent --help lists the manifests command")
  void agentHelpListsManifests() {
    ProcessResult result = TetherJar.run("agent", "--help").run().orThrow();

    assertThat(result.stdout()).contains("Commands:", "manifests", "Examples:");
  }

  @Test
  @DisplayName("tether agent without --server and --token-file still exits 2 and names both")
  void agentStillNeedsServerAndToken() {
    ProcessResult result = TetherJar.run("agent").run();

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.stderr()).contains("Missing required options: '--server=HOST:PORT', '--token-file=FILE'",
        "Usage: tether agent");
  }

  @Test
  @DisplayName("manifests without --name exits 2 with picocli's message")
  void manifestsNeedAName(@TempDir Path dir) throws Exception {
    Path token = Files.writeString(dir.resolve("t"), SecretToken.generate(SecretToken.Kind.AGENT).reveal());

    ProcessResult result = TetherJar.run("agent", "manifests", "--server", "x.example:8443", "--token-file",
        token.toString()).run();

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.stderr()).contains("Missing required option: '--name=NAME'");
    assertThat(result.stdout()).isEmpty();
  }

  @Test
  @DisplayName("a bad name, a URL for --server or a bad --namespaced entry exit 2 naming the value; the token is never echoed")
  void badValuesAreRefused(@TempDir Path dir) throws Exception {
    String secret = SecretToken.generate(SecretToken.Kind.AGENT).reveal();
    Path token = Files.writeString(dir.resolve("t"), secret);

    ProcessResult badName = TetherJar.run("agent", "manifests", "--name", "Prod", "--server", "x.example:8443",
        "--token-file", token.toString()).run();
    ProcessResult url = TetherJar.run("agent", "manifests", "--name", "prod", "--server", "https://x.example:8443",
        "--token-file", token.toString()).run();
    ProcessResult badNamespace = TetherJar.run("agent", "manifests", "--name", "prod", "--server", "x.example:8443",
        "--token-file", token.toString(), "--namespaced", "apps,Web").run();
    Path accessToken = Files.writeString(dir.resolve("access"), SecretToken.generate(SecretToken.Kind.ACCESS).reveal());
    ProcessResult wrongToken = TetherJar.run("agent", "manifests", "--name", "prod", "--server", "x.example:8443",
        "--token-file", accessToken.toString()).run();

    assertThat(badName.exitCode()).isEqualTo(2);
    assertThat(badName.stderr()).contains("--name 'Prod' is not a valid name");
    assertThat(url.exitCode()).isEqualTo(2);
    assertThat(url.stderr()).contains("no https://");
    assertThat(badNamespace.exitCode()).isEqualTo(2);
    assertThat(badNamespace.stderr()).contains("--namespaced lists 'Web', which is not a valid namespace name");
    assertThat(wrongToken.exitCode()).isEqualTo(2);
    assertThat(wrongToken.stderr()).contains("does not hold an agent token")
        .doesNotContain(Files.readString(accessToken));
    for (ProcessResult result : new ProcessResult[] {badName, url, badNamespace, wrongToken}) {
      assertThat(result.stdout()).isEmpty();
      assertThat(result.stderr()).doesNotContain(secret);
    }
  }
}
