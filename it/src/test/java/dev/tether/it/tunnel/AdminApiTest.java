package dev.tether.it.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.it.support.ApiClient;
import dev.tether.it.support.TetherHarness;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin API refuses what it cannot do with an answer a person can act on. */
class AdminApiTest {
  @TempDir
  static Path dir;
  static TetherHarness tether;
  static String adminToken;

  @BeforeAll
  static void start() throws Exception {
    tether = new TetherHarness(dir, Duration.ofMinutes(10));
    adminToken = Files.readString(tether.server().adminTokenFile()).strip();
    tether.addProject("team/config", dir.resolve("repos/config.git").toString(), Map.of());
  }

  @AfterAll
  static void stop() {
    tether.close();
  }

  private static ApiClient.Response post(String path, String json) {
    return tether.api().send("POST", path, json.getBytes(StandardCharsets.UTF_8),
        Map.of("Authorization", "Bearer " + adminToken, "Content-Type", "application/json"));
  }

  @Test
  @DisplayName("the admin token file is private and the API refuses requests without it")
  void adminTokenRequired() throws Exception {
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tether.server().adminTokenFile()))).isEqualTo("rw-------");
    assertThat(adminToken).startsWith("tether-admin-");

    ApiClient.Response none = tether.api().send("GET", "/api/v1/agents", null, Map.of());
    ApiClient.Response wrong = tether.api().send("GET", "/api/v1/agents", null, Map.of("Authorization", "Bearer tether-admin-wrong"));
    ApiClient.Response agentToken = tether.api().send("GET", "/api/v1/agents", null,
        Map.of("Authorization", "Bearer " + dev.tether.common.token.SecretToken.generate(dev.tether.common.token.SecretToken.Kind.AGENT).reveal()));

    assertThat(none.status()).isEqualTo(401);
    assertThat(none.body().get("error").asText()).contains("admin token required").contains("admin-token");
    assertThat(wrong.status()).isEqualTo(401);
    assertThat(agentToken.status()).isEqualTo(401);
  }

  @Test
  @DisplayName("bad requests get 400/404/409 with a message that says what to change")
  void badRequests() {
    assertThat(post("/api/v1/agents", "{\"name\": \"Prod_EU\", \"config_project\": \"team/config\"}").body().get("error").asText())
        .contains("agent name 'Prod_EU' is not valid");
    ApiClient.Response unknownProject = post("/api/v1/agents", "{\"name\": \"prod\", \"config_project\": \"team/nope\"}");
    assertThat(unknownProject.status()).isEqualTo(404);
    assertThat(unknownProject.body().get("error").asText()).contains("config project 'team/nope' does not exist")
        .contains("tether admin project add team/nope");
    assertThat(post("/api/v1/agents", "{\"name\": \"once\", \"config_project\": \"team/config\"}").status()).isEqualTo(201);
    ApiClient.Response again = post("/api/v1/agents", "{\"name\": \"once\", \"config_project\": \"team/config\"}");
    assertThat(again.status()).isEqualTo(409);
    assertThat(again.body().get("error").asText()).contains("agent 'once' exists already");

    ApiClient.Response unknownField = post("/api/v1/agents", "{\"name\": \"x\", \"config_projekt\": \"team/config\"}");
    assertThat(unknownField.status()).isEqualTo(400);
    assertThat(unknownField.body().get("error").asText()).contains("unknown field 'config_projekt'");
    ApiClient.Response notJson = post("/api/v1/agents", "{\"name\": ");
    assertThat(notJson.status()).isEqualTo(400);
    assertThat(notJson.body().get("error").asText()).contains("not valid JSON");
    ApiClient.Response duplicate = post("/api/v1/agents", "{\"name\": \"a\", \"name\": \"b\", \"config_project\": \"team/config\"}");
    assertThat(duplicate.status()).isEqualTo(400);

    ApiClient.Response passwordInUrl = post("/api/v1/projects", "{\"id\": \"team/leaky\", \"url\": \"https://bob:hunter2@git.example.com/x.git\"}");
    assertThat(passwordInUrl.status()).isEqualTo(400);
    assertThat(passwordInUrl.body().get("error").asText()).contains("contains a password").doesNotContain("hunter2");
    assertThat(post("/api/v1/projects", "{\"id\": \"../etc\", \"url\": \"/tmp/x.git\"}").status()).isEqualTo(400);
    assertThat(post("/api/v1/projects", "{\"id\": \"team/ssh\", \"url\": \"git@host:team/ssh.git\", \"credentials\": {\"ssh_private_key\": \"k\"}}")
        .body().get("error").asText()).contains("ssh_known_hosts");
    assertThat(tether.api().send("GET", "/api/v1/nothing", null, Map.of("Authorization", "Bearer " + adminToken)).status()).isEqualTo(404);
  }

  @Test
  @DisplayName("project credentials are stored sealed and never shown; the listing says only what kind they are")
  void credentialsAreNeverShown() throws Exception {
    post("/api/v1/projects", "{\"id\": \"team/private\", \"url\": \"https://git.example.com/team/private.git\","
        + " \"credentials\": {\"username\": \"deploy\", \"password\": \"s3cret-pw-in-store\"}}");

    String listing = tether.api().get("/api/v1/projects").toString();
    assertThat(listing).contains("basic auth as deploy").doesNotContain("s3cret-pw-in-store");
    // A restart closes the database, so everything is on disk, and proves the sealed secrets open again.
    tether.restartServer();
    assertThat(tether.api().get("/api/v1/projects/team/private").get("credentials").asText()).isEqualTo("basic auth as deploy");
    byte[] database = Files.readAllBytes(dir.resolve("server-data/tether.mv.db"));
    assertThat(new String(database, StandardCharsets.ISO_8859_1)).doesNotContain("s3cret-pw-in-store");
  }
}
