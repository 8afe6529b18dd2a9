package dev.tether.it.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.it.support.ApiClient;
import dev.tether.it.support.ConfigProject;
import dev.tether.it.support.TetherHarness;
import dev.tether.server.git.GitUrlPolicy;
import dev.tether.testkit.git.GitHttpServer;
import dev.tether.testkit.git.GitHttpServer.RedirectWhen;
import dev.tether.testkit.process.FreePort;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What a project URL can make the server do: real servers, real Git over HTTP on loopback. A Git
 * host that redirects elsewhere never gets the project's credentials sent on; URLs to the server's
 * own disk, loopback or link-local addresses are refused unless the operator allowed them; and a
 * fetch that cannot reach its host says so in the same words whether the port is closed, silent,
 * hangs up, or the name does not resolve.
 */
class GitHostSafetyTest {
  private static final String USER = "reader";
  private static final AtomicInteger AGENTS = new AtomicInteger();

  @TempDir
  Path dir;

  @ParameterizedTest(name = "redirect {0}")
  @EnumSource(RedirectWhen.class)
  @DisplayName("a Git host that redirects to another origin never receives the project's credentials sent on; the fetch says why")
  void credentialsStayWithTheirOrigin(RedirectWhen when) {
    String password = "git-password-" + System.nanoTime();
    ConfigProject config = new ConfigProject(dir.resolve("repos"), "config");
    // The other origin serves the same repository and takes the same credentials, so a leak would even make the fetch work.
    try (GitHttpServer origin = GitHttpServer.serve(dir.resolve("repos"), USER, password);
        GitHttpServer other = GitHttpServer.serve(dir.resolve("repos"), USER, password);
        TetherHarness tether = new TetherHarness(dir, Duration.ofHours(1))) {
      // Another port of the same address is another origin, and JGit by itself keeps credentials across it.
      String otherBase = when == RedirectWhen.AFTER_AUTHENTICATION ? "http://127.0.0.1:" + other.port()
          : "http://localhost:" + other.port();
      origin.redirectTo(otherBase, when);
      tether.addProject("team/config", origin.url(config.repo()), Map.of("username", USER, "password", password));

      JsonNode fetch = fetched(tether, "team/config");

      assertThat(other.authorizations()).as("Authorization headers the other origin received").isEmpty();
      assertThat(other.requestCount()).isZero();
      assertThat(fetch.path("error").asText()).contains("redirected to " + otherBase, "never reach another host");
      if (when == RedirectWhen.AFTER_AUTHENTICATION) {
        assertThat(origin.authorizations()).as("the origin itself got the credentials").contains(basic(USER, password));
      }
    }
  }

  @Test
  @DisplayName("a redirect within the project's origin is followed, with its credentials")
  void redirectWithinTheOriginWorks() {
    String password = "git-password-" + System.nanoTime();
    ConfigProject config = new ConfigProject(dir.resolve("repos"), "config");
    try (GitHttpServer git = GitHttpServer.serve(dir.resolve("repos"), USER, password);
        TetherHarness tether = new TetherHarness(dir, Duration.ofHours(1))) {
      tether.addProject("team/config", git.movedUrl(config.repo()), Map.of("username", USER, "password", password));

      JsonNode fetch = fetched(tether, "team/config");

      assertThat(fetch.path("head_commit").asText()).as("fetch error: %s", fetch.get("error")).isEqualTo(config.repo().head());
    }
  }

  @Test
  @DisplayName("by default, local paths and loopback, link-local and metadata addresses are refused, naming the option that allows them")
  void blockedUrlsAreRefused() {
    try (TetherHarness tether = new TetherHarness(dir, s -> s.withGitUrls(GitUrlPolicy.defaults()))) {
      assertRefused(tether, "http://169.254.169.254/latest/meta-data.git", "link-local", "--allow-git-url 169.254.169.254");
      assertRefused(tether, "http://127.0.0.1:8080/git/config.git", "127.0.0.1 is a loopback address", "--allow-git-url 127.0.0.1");
      assertRefused(tether, "http://localhost:8080/git/config.git", "'localhost' resolves to", "loopback", "--allow-git-url");
      assertRefused(tether, "ssh://git@[::1]:22/config.git", "loopback", "--allow-git-url ::1");
      assertRefused(tether, "git://0.0.0.0/config.git", "an address of this host", "--allow-git-url 0.0.0.0");
      assertRefused(tether, dir.resolve("repos/config.git").toString(), "local paths", "--allow-local-git-paths");
      assertRefused(tether, "file://" + dir.resolve("repos/config.git"), "local paths", "--allow-local-git-paths");
      assertThat(tether.api().get("/api/v1/projects").toString()).doesNotContain("169.254", "localhost", "file:");
    }
  }

  @Test
  @DisplayName("a project stored while its host was allowed is checked again before every fetch")
  void everyFetchIsChecked() {
    ConfigProject config = new ConfigProject(dir.resolve("repos"), "config");
    try (TetherHarness tether = new TetherHarness(dir, Duration.ofHours(1))) {
      tether.addProject("team/config", config.repo().bareDir().toString(), Map.of());
      JsonNode first = fetched(tether, "team/config");
      assertThat(first.path("head_commit").asText()).as("fetch error: %s", first.get("error")).isEqualTo(config.repo().head());

      tether.restartServer(s -> s.withGitUrls(GitUrlPolicy.defaults()));

      assertThat(fetched(tether, "team/config").path("error").asText()).contains("local paths", "--allow-local-git-paths");
    }
  }

  @Test
  @DisplayName("a closed port, a silent port, a port that hangs up and a name that does not resolve fail in the same words")
  void unreachableHostsLookAlike() throws Exception {
    try (ServerSocket silent = listen(); ServerSocket hangsUp = listen();
        TetherHarness tether = new TetherHarness(dir, s -> s.withPollInterval(Duration.ofHours(1)).withGitTimeout(Duration.ofSeconds(2))
            .withGitUrls(GitUrlPolicy.of(List.of("http://*", "127.0.0.1"), false)))) {
      Thread hangingUp = new Thread(() -> {
        while (!hangsUp.isClosed()) {
          try (Socket accepted = hangsUp.accept()) {
            accepted.getInputStream().read();
          } catch (IOException e) {
            // closed by the test, or the client went away
          }
        }
      });
      hangingUp.setDaemon(true);
      hangingUp.start();
      List<String> hosts = List.of("127.0.0.1:" + FreePort.pick(), "127.0.0.1:" + silent.getLocalPort(),
          "127.0.0.1:" + hangsUp.getLocalPort(), "git.tether-test.invalid");
      List<String> normalized = new ArrayList<>();
      for (int i = 0; i < hosts.size(); i++) {
        String url = "http://" + hosts.get(i) + "/git/config.git";
        tether.addProject("unreachable/p" + i, url, Map.of());
        String error = fetched(tether, "unreachable/p" + i).path("error").asText();
        assertThat(error).contains("cannot reach the Git host " + hosts.get(i));
        normalized.add(error.replace(url, "<url>").replace(hosts.get(i), "<host>").replace("unreachable/p" + i, "<project>"));
      }
      assertThat(normalized).as("errors with URL, host and project replaced").containsOnly(normalized.get(0));
    }
  }

  private static ServerSocket listen() throws IOException {
    ServerSocket socket = new ServerSocket();
    socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    return socket;
  }

  private static void assertRefused(TetherHarness tether, String url, String... saying) {
    ApiClient.Response response = tether.api().send("POST", "/api/v1/projects",
        ApiClient.json(Map.of("id", "blocked/p" + AGENTS.incrementAndGet(), "url", url)),
        Map.of("Authorization", "Bearer " + tether.adminToken(), "Content-Type", "application/json"));
    assertThat(response.status()).as("adding %s", url).isEqualTo(400);
    assertThat(response.body().toString()).as("refusal of %s", url).contains(saying);
  }

  /** Creates an agent reading {@code projectId}, which fetches it at once, and returns the project's last fetch after that. */
  private static JsonNode fetched(TetherHarness tether, String projectId) {
    JsonNode before = tether.api().get("/api/v1/projects/" + projectId).get("last_fetch");
    String attemptedBefore = before == null || before.isNull() ? "" : before.get("attempted_at").asText();
    tether.createAgent("a" + AGENTS.incrementAndGet(), projectId);
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      JsonNode last = tether.api().get("/api/v1/projects/" + projectId).get("last_fetch");
      return last != null && !last.isNull() && !last.get("attempted_at").asText().equals(attemptedBefore);
    });
    return tether.api().get("/api/v1/projects/" + projectId).get("last_fetch");
  }

  private static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }
}
