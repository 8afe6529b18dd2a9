package dev.tether.it.kubeproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.PlainJWT;
import dev.tether.agent.TetherAgent;
import dev.tether.common.config.OidcIssuer;
import dev.tether.it.support.ApiClient;
import dev.tether.it.support.ConfigProject;
import dev.tether.it.support.TetherHarness;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.WithKubernetes;
import dev.tether.testkit.oidc.TestIssuer;
import dev.tether.testkit.process.ExternalCommand;
import dev.tether.testkit.process.ProcessResult;
import dev.tether.testkit.tether.TetherJar;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CI jobs with OIDC id tokens instead of Tether access tokens: real kubectl, configured the way the README tells a CI job
 * to, through the proxy and a real agent to a real API server, with an issuer on loopback.
 */
@WithKubernetes
class KubeProxyOidcTest {
  private static final String AUDIENCE = "https://tether.example.com";

  @TempDir
  static Path dir;
  static TetherHarness tether;
  static KubeControlPlane cluster;
  static TestIssuer issuer;

  @BeforeAll
  static void start(KubeControlPlane plane) {
    cluster = plane;
    issuer = TestIssuer.start();
    ConfigProject config = new ConfigProject(dir.resolve("repos"), "config");
    config.push("prod", """
        ci_access:
          projects:
            - id: shop/web
              environments: [production]
              access_as:
                impersonate: { username: shop-web-production, groups: [deployers] }
            - id: shop/web
              environments: [review/*]
              access_as: { ci_job: {} }
        """);
    // Loopback is open to the server's outbound fetches only because the harness's rules name 127.0.0.1.
    tether = new TetherHarness(dir, settings -> settings.withPollInterval(Duration.ofMillis(300))
        .withOidcIssuers(List.of(new OidcIssuer(URI.create(issuer.url()), AUDIENCE, Optional.empty()))));
    tether.addProject("platform/config", config.repo().bareDir().toString(), Map.of());
    TetherAgent agent = tether.startAgent(tether.createAgent("prod", "platform/config"), Optional.of(plane.kubeconfig()));
    await().atMost(Duration.ofSeconds(20)).until(() -> agent.configuration().isPresent());
  }

  @AfterAll
  static void stop() {
    tether.close();
    issuer.close();
  }

  private static Map<String, Object> gitlabJob(String environment) {
    Map<String, Object> claims = new LinkedHashMap<>(Map.of("sub", "project_path:shop/web:ref_type:branch:ref:main",
        "project_path", "shop/web", "ref", "main", "ref_type", "branch", "namespace_path", "shop"));
    claims.put("environment", environment);
    return claims;
  }

  /** A kubeconfig made with kubectl config, as the README's CI examples do, whose token is {@code prod:<id token>}. */
  private static Path kubeconfig(String idToken, String name) {
    Path file = dir.resolve(name + ".kubeconfig");
    String kubectl = cluster.binaries().kubectl().toString();
    for (List<String> args : List.of(
        List.of("config", "set-cluster", "tether", "--server", tether.server().kubeProxyUrl(), "--certificate-authority",
            tether.caFile().toString()),
        List.of("config", "set-credentials", "ci", "--token", "prod:" + idToken),
        List.of("config", "set-context", "ci", "--cluster", "tether", "--user", "ci"),
        List.of("config", "use-context", "ci"))) {
      List<String> command = new java.util.ArrayList<>(List.of(kubectl, "--kubeconfig", file.toString()));
      command.addAll(args);
      ExternalCommand.of(command.toArray(String[]::new)).run().orThrow();
    }
    return file;
  }

  private static JsonNode whoami(Path kubeconfig) throws Exception {
    ProcessResult result = ExternalCommand.of(cluster.binaries().kubectl().toString(), "--kubeconfig", kubeconfig.toString(),
        "auth", "whoami", "-o", "json").run().orThrow();
    return ApiClient.JSON.readTree(result.stdout()).path("status").path("userInfo");
  }

  @Test
  @DisplayName("id tokens of two environments act as their ci_access entries' identities: impersonate for production, ci_job for review/*")
  void twoEnvironmentsTwoIdentities() throws Exception {
    JsonNode production = whoami(kubeconfig(issuer.sign(issuer.claims(AUDIENCE, gitlabJob("production")).build()), "production"));
    JsonNode review = whoami(kubeconfig(issuer.sign(issuer.claims(AUDIENCE, gitlabJob("review/fix-login")).build()), "review"));

    assertThat(production.path("username").asText()).isEqualTo("shop-web-production");
    assertThat(production.path("groups").toString()).contains("deployers");
    assertThat(review.path("username").asText()).isEqualTo("tether:ci:shop/web");
    assertThat(review.path("groups").toString()).contains("tether:project_env:shop/web:review/fix-login", "tether:agent:prod");
  }

  @Test
  @DisplayName("expired, wrong-audience, forged, alg none and unknown-issuer id tokens are refused with 401 and their reason; "
      + "an environment no entry lists gets 403")
  void badTokensAreRefused() {
    Instant now = Instant.now();
    RSAKey forger = new RSAKey.Builder(TestIssuer.newKey()).keyID(issuer.keyId()).build();
    Map<String, String> refusals = new LinkedHashMap<>();
    refusals.put(issuer.sign(issuer.claims(AUDIENCE, gitlabJob("production")).issueTime(Date.from(now.minus(Duration.ofHours(1))))
        .expirationTime(Date.from(now.minus(Duration.ofMinutes(10)))).build()), "it expired at");
    refusals.put(issuer.sign(issuer.claims("https://argocd.example.com", gitlabJob("production")).build()),
        "it is for audience [https://argocd.example.com], not this server's 'https://tether.example.com'");
    refusals.put(TestIssuer.sign(issuer.claims(AUDIENCE, gitlabJob("production")).build(), forger),
        "its signature does not verify with the key '" + issuer.keyId() + "'");
    refusals.put(new PlainJWT(issuer.claims(AUDIENCE, gitlabJob("production")).build()).serialize(), "it is unsigned (alg none)");
    refusals.put(TestIssuer.sign(issuer.claims(AUDIENCE, gitlabJob("production")).issuer("https://gitlab.example.com").build(), forger),
        "its issuer 'https://gitlab.example.com' is not configured on this server");
    refusals.put(issuer.sign(issuer.claims(AUDIENCE, gitlabJob("staging")).build()),
        "only for the environments [production, review/*]");
    int i = 0;
    for (Map.Entry<String, String> refusal : refusals.entrySet()) {
      ProcessResult result = ExternalCommand.of(cluster.binaries().kubectl().toString(), "--kubeconfig",
          kubeconfig(refusal.getKey(), "refused-" + i++).toString(), "get", "--raw", "/api/v1/namespaces").run();

      assertThat(result.exitCode()).as(refusal.getValue()).isNotZero();
      // kubectl prints a 401's Status message inside its own words about logging in.
      assertThat(result.stderr()).contains(refusal.getValue().startsWith("only") ? "Forbidden"
              : "You must be logged in to the server (the OIDC id token was refused: ")
          .contains(refusal.getValue()).doesNotContain(refusal.getKey().substring(0, refusal.getKey().lastIndexOf('.')));
      assertThat(result.stdout()).doesNotContain(refusal.getKey());
    }
  }

  @Test
  @DisplayName("after the issuer rotates its key, tokens with the new key id get in (the server fetches the keys again)")
  void keyRotationIsPickedUp() throws Exception {
    whoami(kubeconfig(issuer.sign(issuer.claims(AUDIENCE, gitlabJob("production")).build()), "before-rotation"));
    int fetches = issuer.jwksFetches();

    issuer.rotate();
    JsonNode me = whoami(kubeconfig(issuer.sign(issuer.claims(AUDIENCE, gitlabJob("review/rotated")).build()), "after-rotation"));

    assertThat(me.path("groups").toString()).contains("tether:project_env:shop/web:review/rotated");
    assertThat(issuer.jwksFetches()).isEqualTo(fetches + 1);
  }

  @Test
  @DisplayName("tether server refuses an issuers file without an audience, naming the file, line and key, and does not start")
  void anIssuersFileWithoutAudienceStopsTheServerWithTheReason() throws Exception {
    Path file = java.nio.file.Files.writeString(dir.resolve("issuers.yaml"), "issuers:\n  - issuer: https://gitlab.example.com\n");

    ProcessResult result = TetherJar.run("server", "--dev-tls", "--data-dir", dir.resolve("never-started").toString(),
        "--oidc-issuers-file", file.toString()).run();

    assertThat(result.exitCode()).isNotZero();
    assertThat(result.stderr()).contains("--oidc-issuers-file " + file + " is not valid; fix it:")
        .contains(file + ":2:5: issuers[0]: 'audience' is required: the aud claim your CI jobs ask for");
    assertThat(dir.resolve("never-started")).doesNotExist();
  }
}
