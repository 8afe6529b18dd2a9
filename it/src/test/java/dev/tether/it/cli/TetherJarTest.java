package dev.tether.it.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.testkit.process.ProcessResult;
import dev.tether.testkit.tether.TetherJar;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fat jar as a user runs it. */
class TetherJarTest {

  @Test
  @DisplayName("java -jar tether.jar --help lists the server and agent commands")
  void helpListsCommands() {
    ProcessResult result = TetherJar.run("--help").run().orThrow();

    assertThat(result.stdout()).contains("Usage: tether", "server", "agent", "Examples:");
  }

  @Test
  @DisplayName("tether with no command explains itself and exits 2")
  void noCommandIsAUsageError() {
    ProcessResult result = TetherJar.run().run();

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.stderr()).contains("Missing a command", "Usage: tether");
  }

  @Test
  @DisplayName("a malformed --http-address is refused with a message naming the value")
  void badAddressIsRefused() {
    ProcessResult result = TetherJar.run("server", "--http-address", "localhost").run();

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.stderr()).contains("'localhost' is not HOST:PORT");
  }

  @Test
  @DisplayName("tether server without a certificate or --dev-tls refuses to start and says what to give")
  void serverNeedsTls(@TempDir Path dataDir) {
    ProcessResult result = TetherJar.run("server", "--data-dir", dataDir.toString()).run();

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.stderr()).contains("the agent listener needs TLS", "--tls-cert-file", "--dev-tls");
  }

  @Test
  @DisplayName("tether server serves /healthz and stops cleanly on SIGTERM")
  void serverRunsAndStops(@TempDir Path dataDir) throws Exception {
    Process server = new ProcessBuilder(TetherJar.command("server", "--dev-tls", "--http-address", "127.0.0.1:0",
        "--agent-address", "127.0.0.1:0", "--data-dir", dataDir.toString())).redirectErrorStream(true).start();
    try {
      AtomicReference<String> url = new AtomicReference<>();
      Thread reader = new Thread(() -> {
        Pattern listening = Pattern.compile("HTTP API on (http://\\S+),");
        try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(server.getInputStream(),
            StandardCharsets.UTF_8))) {
          for (String line; (line = lines.readLine()) != null; ) {
            Matcher m = listening.matcher(line);
            if (m.find()) {
              url.set(m.group(1));
            }
          }
        } catch (java.io.IOException ignored) {
          // the process ended
        }
      });
      reader.start();
      await().atMost(Duration.ofSeconds(30)).until(() -> url.get() != null);

      HttpResponse<String> health = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(url.get() + "/healthz")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(health.body()).isEqualTo("ok");

      server.destroy();
      assertThat(server.waitFor(15, TimeUnit.SECONDS)).as("server exits after SIGTERM").isTrue();
    } finally {
      server.destroyForcibly();
    }
  }
}
