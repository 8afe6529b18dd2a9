package dev.tether.it.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.agent.TetherAgent;
import dev.tether.it.support.ApiClient;
import dev.tether.it.support.ConfigProject;
import dev.tether.it.support.TetherHarness;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Push webhooks make the server fetch at once. The server here polls only once an hour, so a
 * change can only arrive through a webhook; a badly signed one must fetch nothing.
 */
class PushWebhookTest {
  private static final String HOOK = "/api/v1/projects/team/config/hooks/push";
  private static final byte[] PAYLOAD = "{\"ref\":\"refs/heads/main\"}".getBytes(StandardCharsets.UTF_8);

  @TempDir
  static Path dir;
  static TetherHarness tether;
  static ConfigProject config;
  static TetherAgent agent;
  static String secret;

  @BeforeAll
  static void start() {
    config = new ConfigProject(dir.resolve("repos"), "config");
    config.push("hooked", "observability: { logging: { level: info } }\n");
    tether = new TetherHarness(dir, Duration.ofHours(1));
    secret = tether.addProject("team/config", config.repo().bareDir().toString(), Map.of()).get("webhook_secret").asText();
    agent = tether.startAgent(tether.createAgent("hooked", "team/config"), Optional.empty());
    await().atMost(Duration.ofSeconds(20)).until(() -> agent.configuration().isPresent());
  }

  @AfterAll
  static void stop() {
    tether.close();
  }

  private static String hmacHex(String key, byte[] body) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return HexFormat.of().formatHex(mac.doFinal(body));
  }

  private static ApiClient.Response hook(Map<String, String> headers, byte[] body) {
    return tether.api().send("POST", HOOK, body, headers);
  }

  private static void assertArrives(String commit) {
    await().atMost(Duration.ofSeconds(5)).until(() -> agent.configuration().orElseThrow().commit().equals(commit));
  }

  @Test
  @DisplayName("a GitHub push webhook (X-Hub-Signature-256) makes the server fetch at once")
  void github() throws Exception {
    String commit = config.push("hooked", "observability: { logging: { level: warn } }\n");

    ApiClient.Response response = hook(Map.of("X-GitHub-Event", "push", "X-Hub-Signature-256", "sha256=" + hmacHex(secret, PAYLOAD)), PAYLOAD);

    assertThat(response.status()).isEqualTo(202);
    assertArrives(commit);
  }

  @Test
  @DisplayName("a GitLab push webhook (X-Gitlab-Token) makes the server fetch at once")
  void gitlab() {
    String commit = config.push("hooked", "observability: { logging: { level: error } }\n");

    assertThat(hook(Map.of("X-Gitlab-Event", "Push Hook", "X-Gitlab-Token", secret), PAYLOAD).status()).isEqualTo(202);
    assertArrives(commit);
  }

  @Test
  @DisplayName("Gitea and Forgejo push webhooks (X-Gitea-Signature, X-Forgejo-Signature) make the server fetch at once")
  void giteaAndForgejo() throws Exception {
    String first = config.push("hooked", "observability: { logging: { level: debug } }\n");
    assertThat(hook(Map.of("X-Gitea-Signature", hmacHex(secret, PAYLOAD)), PAYLOAD).status()).isEqualTo(202);
    assertArrives(first);

    String second = config.push("hooked", "observability: { logging: { level: info } }\n");
    assertThat(hook(Map.of("X-Forgejo-Signature", hmacHex(secret, PAYLOAD)), PAYLOAD).status()).isEqualTo(202);
    assertArrives(second);
  }

  @Test
  @DisplayName("a bad or missing signature, or an unknown project, gets 401 and fetches nothing; an oversized body gets 413")
  void badSignaturesFetchNothing() throws Exception {
    String running = agent.configuration().orElseThrow().commit();
    JsonNode fetchBefore = tether.api().get("/api/v1/projects/team/config").get("last_fetch");
    config.push("hooked", "observability: { logging: { level: warn } }\n# not fetched yet\n");

    ApiClient.Response forged = hook(Map.of("X-Hub-Signature-256", "sha256=" + hmacHex("a guess", PAYLOAD)), PAYLOAD);
    ApiClient.Response wrongToken = hook(Map.of("X-Gitlab-Token", "not-the-secret"), PAYLOAD);
    ApiClient.Response unsigned = hook(Map.of(), PAYLOAD);
    ApiClient.Response garbled = hook(Map.of("X-Gitea-Signature", "zz-not-hex"), PAYLOAD);
    byte[] huge = new byte[2 * 1024 * 1024];
    ApiClient.Response oversized = hook(Map.of("X-Hub-Signature-256", "sha256=" + hmacHex(secret, huge)), huge);
    ApiClient.Response unknownProject = tether.api().send("POST", "/api/v1/projects/team/nope/hooks/push", PAYLOAD,
        Map.of("X-Gitlab-Token", secret));

    assertThat(forged.status()).isEqualTo(401);
    assertThat(forged.body().get("error").asText()).contains("X-Hub-Signature-256 does not match");
    assertThat(wrongToken.status()).isEqualTo(401);
    assertThat(unsigned.status()).isEqualTo(401);
    assertThat(unsigned.body().get("error").asText()).contains("not signed");
    assertThat(garbled.status()).isEqualTo(401);
    assertThat(oversized.status()).isEqualTo(413);
    assertThat(unknownProject.status()).isEqualTo(401);
    assertThat(unknownProject.body().get("error").asText()).isEqualTo("X-Gitlab-Token is not this project's webhook secret");
    for (ApiClient.Response r : new ApiClient.Response[] {forged, wrongToken, unsigned, garbled, unknownProject}) {
      assertThat(r.body().toString()).doesNotContain(secret);
    }
    Thread.sleep(1500);
    assertThat(tether.api().get("/api/v1/projects/team/config").get("last_fetch")).isEqualTo(fetchBefore);
    assertThat(agent.configuration().orElseThrow().commit()).isEqualTo(running);
  }

  @Test
  @DisplayName("a project that does not exist is answered byte for byte as a known one with a bad signature, so names cannot be tried")
  void unknownProjectsCannotBeToldFromBadSignatures() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    String forged = hmacHex("a guess", PAYLOAD);
    List<Map<String, String>> attempts = List.of(Map.of("X-Hub-Signature-256", "sha256=" + forged), Map.of("X-Hub-Signature-256", forged),
        Map.of("X-Gitea-Signature", forged), Map.of("X-Forgejo-Signature", "zz-not-hex"), Map.of("X-Gitlab-Token", "a guess"),
        Map.of());
    for (Map<String, String> headers : attempts) {
      HttpResponse<byte[]> known = post(http, HOOK, headers);
      HttpResponse<byte[]> unknown = post(http, "/api/v1/projects/team/nope/hooks/push", headers);
      HttpResponse<byte[]> unknownTopLevel = post(http, "/api/v1/projects/nothing-here/hooks/push", headers);

      assertThat(known.statusCode()).as(headers.toString()).isEqualTo(401);
      for (HttpResponse<byte[]> other : List.of(unknown, unknownTopLevel)) {
        assertThat(other.statusCode()).as(headers.toString()).isEqualTo(known.statusCode());
        assertThat(new String(other.body(), StandardCharsets.UTF_8)).as(headers.toString())
            .isEqualTo(new String(known.body(), StandardCharsets.UTF_8));
        assertThat(other.body()).isEqualTo(known.body());
        assertThat(withoutDate(other.headers().map())).as(headers.toString()).isEqualTo(withoutDate(known.headers().map()));
      }
    }
  }

  private static HttpResponse<byte[]> post(HttpClient http, String path, Map<String, String> headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(tether.server().httpUrl() + path))
        .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofByteArray(PAYLOAD));
    headers.forEach(request::header);
    return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static Map<String, List<String>> withoutDate(Map<String, List<String>> headers) {
    Map<String, List<String>> rest = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    rest.putAll(headers);
    rest.remove("date");
    return rest;
  }
}
