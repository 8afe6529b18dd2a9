package dev.tether.server.kubeproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.tether.server.git.GitUrlPolicy;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What an issuer's discovery or JWKS URL can make the server fetch. */
class OidcFetcherTest {
  private static final GitUrlPolicy LOOPBACK_ALLOWED = GitUrlPolicy.of(
      Stream.concat(GitUrlPolicy.DEFAULT_RULES.stream(), Stream.of("127.0.0.1")).toList(), false);
  private HttpServer http;
  private String base;

  @BeforeEach
  void start() throws IOException {
    http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    http.createContext("/jwks", exchange -> {
      byte[] body = "{\"keys\":[]}".getBytes();
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    http.createContext("/moved", exchange -> {
      exchange.getResponseHeaders().set("Location", "http://169.254.169.254/latest/meta-data");
      exchange.sendResponseHeaders(302, -1);
      exchange.close();
    });
    http.createContext("/huge", exchange -> {
      exchange.sendResponseHeaders(200, 0);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(new byte[OidcFetcher.MAX_BYTES + 1]);
      } catch (IOException e) {
        // the fetcher stops reading past its cap
      }
    });
    http.start();
    base = "http://127.0.0.1:" + http.getAddress().getPort();
  }

  @AfterEach
  void stop() {
    http.stop(0);
  }

  @Test
  void fetchesFromAnAllowedHost() throws Exception {
    assertThat(new OidcFetcher(LOOPBACK_ALLOWED).retrieveResource(URI.create(base + "/jwks").toURL()).getContent())
        .isEqualTo("{\"keys\":[]}");
  }

  @Test
  void loopbackIsRefusedUnlessTheRulesNameIt() {
    assertThatThrownBy(() -> new OidcFetcher(GitUrlPolicy.defaults()).retrieveResource(URI.create(base + "/jwks").toURL()))
        .hasMessageContaining("the server may not fetch " + base + "/jwks: ").hasMessageContaining("127.0.0.1 is a loopback address")
        .hasMessageContaining("--allow-git-url 127.0.0.1");
  }

  @Test
  void redirectsAreNotFollowed() {
    assertThatThrownBy(() -> new OidcFetcher(LOOPBACK_ALLOWED).retrieveResource(URI.create(base + "/moved").toURL()))
        .hasMessage(base + "/moved answered HTTP 302 (redirects are not followed)");
  }

  @Test
  void aHugeAnswerIsCutOff() {
    assertThatThrownBy(() -> new OidcFetcher(LOOPBACK_ALLOWED).retrieveResource(URI.create(base + "/huge").toURL()))
        .hasMessage(base + "/huge sent more than 512 KiB");
  }

  @Test
  void onlyListedHostsAreReached() {
    GitUrlPolicy onlyGitlab = GitUrlPolicy.of(List.of("https://gitlab.example.com"), false);

    assertThatThrownBy(() -> new OidcFetcher(onlyGitlab).retrieveResource(URI.create(base + "/jwks").toURL()))
        .hasMessageContaining("is not on the server's list");
  }
}
