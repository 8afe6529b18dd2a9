package dev.tether.it.kubeproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.agent.TetherAgent;
import dev.tether.it.support.CaTrust;
import dev.tether.it.support.ConfigProject;
import dev.tether.it.support.TetherHarness;
import dev.tether.server.kubeproxy.ProxyRequestRate;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.WithKubernetes;
import dev.tether.testkit.process.ExternalCommand;
import dev.tether.testkit.process.ProcessResult;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The proxy's limit on requests per access token, against the real API server. */
@WithKubernetes
class KubeProxyRateLimitTest {

  @Test
  @DisplayName("past its burst an access token gets 429 with Retry-After and a Status naming the limit; another token is "
      + "served meanwhile; kubectl waits as told and succeeds")
  void perTokenLimit(@TempDir Path dir, KubeControlPlane plane) throws Exception {
    ConfigProject config = new ConfigProject(dir.resolve("repos"), "config");
    config.push("prod", "ci_access:\n  projects:\n    - id: group/a\n    - id: group/b\n");
    try (TetherHarness tether = new TetherHarness(dir, s -> s.withPollInterval(Duration.ofMillis(300))
        .withProxyRequestRate(new ProxyRequestRate(1, 3)))) {
      tether.addProject("platform/config", config.repo().bareDir().toString(), Map.of());
      TetherAgent agent = tether.startAgent(tether.createAgent("prod", "platform/config"), Optional.of(plane.kubeconfig()));
      await().atMost(Duration.ofSeconds(20)).until(() -> agent.configuration().isPresent());
      String a = accessToken(tether, "group/a");
      String b = accessToken(tether, "group/b");
      HttpClient http = HttpClient.newBuilder().sslContext(CaTrust.of(tether.caFile())).build();

      for (int i = 0; i < 3; i++) {
        assertThat(get(http, tether, a).statusCode()).as("request %d of the burst", i + 1).isEqualTo(200);
      }
      // One request a second refills the bucket: on a busy machine the burst itself may take that long, so the
      // next request or two can still be served. Requests sent back to back are refused within a few.
      HttpResponse<String> refused = get(http, tether, a);
      for (int more = 0; more < 5 && refused.statusCode() == 200; more++) {
        refused = get(http, tether, a);
      }
      assertThat(refused.statusCode()).as("a request past the burst, sent at once after it").isEqualTo(429);
      assertThat(refused.headers().firstValue("Retry-After")).hasValueSatisfying(s -> assertThat(Long.parseLong(s)).isBetween(1L, 2L));
      JsonNode status = new ObjectMapper().readTree(refused.body());
      assertThat(status.get("kind").asText()).isEqualTo("Status");
      assertThat(status.get("code").asInt()).isEqualTo(429);
      assertThat(status.get("reason").asText()).isEqualTo("TooManyRequests");
      assertThat(status.get("message").asText()).contains("more than 1 requests a second", "bursts of up to 3",
          "--proxy-requests-per-token");
      assertThat(refused.body()).doesNotContain(a.substring(a.indexOf(':') + 1));

      assertThat(get(http, tether, b).statusCode()).as("another token is not affected").isEqualTo(200);

      // kubectl (client-go) retries a 429 after its Retry-After: the limit slows a client down, it does not break it.
      Path kubeconfig = dir.resolve("a.kubeconfig");
      java.nio.file.Files.writeString(kubeconfig, """
          apiVersion: v1
          kind: Config
          clusters: [{name: tether, cluster: {server: "%s", certificate-authority: "%s"}}]
          users: [{name: a, user: {token: "%s"}}]
          contexts: [{name: a, context: {cluster: tether, user: a}}]
          current-context: a
          """.formatted(tether.server().kubeProxyUrl(), tether.caFile(), a));
      get(http, tether, a); // empty the bucket again
      ProcessResult kubectl = ExternalCommand.of(plane.binaries().kubectl().toString(), "--kubeconfig", kubeconfig.toString(),
          "get", "--raw", "/api/v1/namespaces/default").timeout(Duration.ofMinutes(1)).run();
      assertThat(kubectl.succeeded()).as(kubectl.describe()).isTrue();
      assertThat(kubectl.stdout()).contains("\"name\":\"default\"");
    }
  }

  private static String accessToken(TetherHarness tether, String project) {
    JsonNode created = tether.api().post("/api/v1/access-tokens", Map.of("project", project, "description", "test"));
    return "prod:" + created.get("secret").asText();
  }

  private static HttpResponse<String> get(HttpClient http, TetherHarness tether, String token) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(tether.server().kubeProxyUrl() + "/api/v1/namespaces/default"))
        .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(30)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
