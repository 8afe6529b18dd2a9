package dev.tether.server.kubeproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.tether.common.config.ConfigParser;
import dev.tether.common.config.OidcIssuer;
import dev.tether.server.configuration.AgentConfigFiles;
import dev.tether.server.configuration.ConfigurationHub;
import dev.tether.server.configuration.ConfigurationUpdate;
import dev.tether.server.git.GitUrlPolicy;
import dev.tether.testkit.oidc.TestIssuer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CI jobs' OIDC id tokens at the proxy: what gets in as whom, and each way a token is refused. */
class IdTokenAuthorizationTest {
  private static final String AUDIENCE = "https://tether.example.com";
  private static final GitUrlPolicy LOOPBACK_ALLOWED = GitUrlPolicy.of(
      Stream.concat(GitUrlPolicy.DEFAULT_RULES.stream(), Stream.of("127.0.0.1")).toList(), false);
  private static final String CONFIG = """
      ci_access:
        projects:
          - id: shop/web
            environments: [production]
            access_as: { impersonate: { username: prod-deployer, groups: [deployers] } }
          - id: shop/web
            environments: [review/*]
            access_as: { ci_job: {} }
          - id: org/site
            access_as: { ci_job: {} }
      """;

  private TestIssuer issuer;
  private ConfigurationHub configurations;

  @BeforeEach
  void start() throws Exception {
    issuer = TestIssuer.start();
    configurations = new ConfigurationHub();
    byte[] yaml = CONFIG.getBytes(StandardCharsets.UTF_8);
    configurations.publish(new ConfigurationUpdate("prod", "c1", "team/config", AgentConfigFiles.path("prod"), yaml,
        ConfigParser.parse("prod", AgentConfigFiles.path("prod"), yaml)));
  }

  @AfterEach
  void stop() {
    issuer.close();
  }

  /** Id tokens never reach the access-token or agent stores (the agent's configuration is known), so there are none. */
  private ProxyAuthorizer authorizer(GitUrlPolicy outbound, OidcIssuer... issuers) {
    return new ProxyAuthorizer(null, null, configurations, Clock.systemUTC(), new IdTokenVerifier(List.of(issuers), outbound));
  }

  private ProxyAuthorizer authorizer() {
    return authorizer(LOOPBACK_ALLOWED, new OidcIssuer(URI.create(issuer.url()), AUDIENCE, Optional.empty()));
  }

  private String gitlabJob(String environment) {
    return issuer.sign(issuer.claims(AUDIENCE, Map.of("sub", "project_path:shop/web:ref_type:branch:ref:main",
        "project_path", "shop/web", "ref", "main", "ref_type", "branch", "environment", environment)).build());
  }

  @Test
  void jobsOfTwoEnvironmentsGetTheirEntrysIdentity() throws Exception {
    ProxyAuthorizer authorizer = authorizer();

    ProxyAccess production = authorizer.authorize("Bearer prod:" + gitlabJob("production"));
    ProxyAccess review = authorizer.authorize("Bearer prod:" + gitlabJob("review/fix-login"));

    assertThat(production.impersonation().getUser()).isEqualTo("prod-deployer");
    assertThat(production.impersonation().getGroupsList()).containsExactly("deployers");
    assertThat(review.impersonation().getUser()).isEqualTo("tether:ci:shop/web");
    assertThat(review.impersonation().getGroupsList()).containsExactly("tether:ci", "tether:project:shop/web", "tether:group:shop",
        "tether:project_env:shop/web:review/fix-login", "tether:agent:prod");
    assertThat(review.token().caller()).isEqualTo("ci project shop/web (environment review/fix-login)");
    assertThat(review.token().id()).isEqualTo("oidc:project_path:shop/web:ref_type:branch:ref:main");
  }

  @Test
  void aGithubActionsTokenNamesItsProjectByRepository() throws Exception {
    String token = issuer.sign(issuer.claims(AUDIENCE, Map.of("sub", "repo:org/site:ref:refs/heads/main", "repository", "org/site",
        "ref", "refs/heads/main")).build());

    ProxyAccess access = authorizer().authorize("Bearer prod:" + token);

    assertThat(access.impersonation().getUser()).isEqualTo("tether:ci:org/site");
    assertThat(access.token().environment()).isEmpty();
  }

  @Test
  void anEnvironmentNoEntryListsIsForbidden() {
    String token = gitlabJob("staging");

    assertThatThrownBy(() -> authorizer().authorize("Bearer prod:" + token))
        .isInstanceOfSatisfying(ProxyRefusal.class, r -> assertThat(r.status()).isEqualTo(403))
        .hasMessageContaining("only for the environments [production, review/*]")
        .hasMessageContaining("the id token of project_path:shop/web:ref_type:branch:ref:main is for environment 'staging'");
  }

  @Test
  void eachBadTokenIsRefusedWithItsReasonAndNeverEchoed() {
    Instant now = Instant.now();
    Map<String, Object> job = Map.of("sub", "project_path:shop/web", "project_path", "shop/web", "environment", "production");
    RSAKey other = TestIssuer.newKey();
    RSAKey sameKidOtherKey = new RSAKey.Builder(TestIssuer.newKey()).keyID(issuer.keyId()).build();
    Map<String, String> refusals = Map.of(
        issuer.sign(issuer.claims(AUDIENCE, job).expirationTime(Date.from(now.minus(Duration.ofMinutes(5)))).build()),
        "it expired at ",
        issuer.sign(issuer.claims("https://other.example.com", job).build()),
        "it is for audience [https://other.example.com], not this server's 'https://tether.example.com'",
        TestIssuer.sign(issuer.claims(AUDIENCE, job).build(), sameKidOtherKey),
        "its signature does not verify with the key '" + issuer.keyId() + "' of issuer " + issuer.url(),
        TestIssuer.sign(issuer.claims(AUDIENCE, job).build(), other),
        "issuer " + issuer.url() + " publishes no RS256 key '" + other.getKeyID() + "'",
        new PlainJWT(issuer.claims(AUDIENCE, job).build()).serialize(),
        "it is unsigned (alg none)",
        TestIssuer.sign(issuer.claims(AUDIENCE, job).issuer("https://gitlab.evil.example").build(), other),
        "its issuer 'https://gitlab.evil.example' is not configured on this server (configured: " + issuer.url() + ")",
        issuer.sign(issuer.claims(AUDIENCE, job).notBeforeTime(Date.from(now.plus(Duration.ofMinutes(10)))).build()),
        "it is not valid before ",
        hmacWithThePublicKey(issuer.claims(AUDIENCE, job).build()),
        "it is signed with HS256; only RSA, EC and EdDSA signatures");
    ProxyAuthorizer authorizer = authorizer();
    refusals.forEach((token, reason) -> assertThatThrownBy(() -> authorizer.authorize("Bearer prod:" + token))
        .isInstanceOfSatisfying(ProxyRefusal.class, r -> {
          assertThat(r.status()).as(reason).isEqualTo(401);
          assertThat(r.getMessage()).startsWith("the OIDC id token was refused: ").contains(reason).doesNotContain(token)
              .doesNotContain(token.substring(token.indexOf('.') + 1, token.lastIndexOf('.')));
        }));
  }

  /** The classic confusion attack: HS256 keyed with the issuer's public key, which anyone has. */
  private String hmacWithThePublicKey(JWTClaimsSet claims) {
    try {
      SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(issuer.keyId()).build(), claims);
      byte[] publicKey = issuer.jwks().getBytes(StandardCharsets.UTF_8);
      jwt.sign(new MACSigner(java.util.Arrays.copyOf(publicKey, Math.max(32, publicKey.length))));
      return jwt.serialize();
    } catch (com.nimbusds.jose.JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void aRotatedKeyIsPickedUpAndUnknownKeyIdsDoNotHammerTheIssuer() throws Exception {
    ProxyAuthorizer authorizer = authorizer();
    authorizer.authorize("Bearer prod:" + gitlabJob("production"));
    authorizer.authorize("Bearer prod:" + gitlabJob("production"));
    assertThat(issuer.jwksFetches()).as("keys are cached").isEqualTo(1);

    issuer.rotate();
    ProxyAccess afterRotation = authorizer.authorize("Bearer prod:" + gitlabJob("production"));

    assertThat(afterRotation.impersonation().getUser()).isEqualTo("prod-deployer");
    assertThat(issuer.jwksFetches()).isEqualTo(2);
    for (int i = 0; i < 20; i++) {
      String madeUp = TestIssuer.sign(issuer.claims(AUDIENCE, Map.of("sub", "x", "project_path", "shop/web")).build(),
          TestIssuer.newKey());
      assertThatThrownBy(() -> authorizer.authorize("Bearer prod:" + madeUp)).hasMessageContaining("publishes no RS256 key");
    }
    assertThat(issuer.jwksFetches()).as("unknown key ids refetch at most every " + IssuerKeys.REFETCH_AT_MOST_EVERY).isLessThanOrEqualTo(4);
  }

  @Test
  void theIssuerIsNotFetchedFromLoopbackUnlessTheOutboundRulesSaySo() {
    ProxyAuthorizer authorizer = authorizer(GitUrlPolicy.defaults(), new OidcIssuer(URI.create(issuer.url()), AUDIENCE, Optional.empty()));

    assertThatThrownBy(() -> authorizer.authorize("Bearer prod:" + gitlabJob("production")))
        .isInstanceOfSatisfying(ProxyRefusal.class, r -> assertThat(r.status()).isEqualTo(503))
        .hasMessageContaining("cannot discover the keys of issuer " + issuer.url())
        .hasMessageContaining("127.0.0.1 is a loopback address");
    assertThat(issuer.jwksFetches()).isZero();
  }

  @Test
  void keysFromAJwksFileNeedNoFetch(@TempDir Path dir) throws Exception {
    Path jwks = Files.writeString(dir.resolve("jwks.json"), issuer.jwks());
    ProxyAuthorizer authorizer = authorizer(GitUrlPolicy.defaults(), new OidcIssuer(URI.create(issuer.url()), AUDIENCE, Optional.of(jwks)));

    assertThat(authorizer.authorize("Bearer prod:" + gitlabJob("review/x")).impersonation().getUser()).isEqualTo("tether:ci:shop/web");
    assertThat(issuer.jwksFetches()).isZero();
  }

  @Test
  void aServerWithoutIssuersSaysHowToConfigureThem() {
    String token = gitlabJob("production");

    assertThatThrownBy(() -> authorizer(LOOPBACK_ALLOWED).authorize("Bearer prod:" + token))
        .hasMessageContaining("is not configured on this server (it accepts no id tokens: list issuers in the file given to "
            + "--oidc-issuers-file)");
  }
}
