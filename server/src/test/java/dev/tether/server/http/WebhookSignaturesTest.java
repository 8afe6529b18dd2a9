package dev.tether.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WebhookSignaturesTest {
  private static final String SECRET = "0123456789abcdef-secret";
  private static final byte[] BODY = "{\"ref\":\"refs/heads/main\"}".getBytes(StandardCharsets.UTF_8);
  private static final String SIGNATURE = HexFormat.of().formatHex(WebhookSignatures.hmac(SECRET, BODY));

  private static java.util.Optional<String> check(Map<String, String> headers) {
    return WebhookSignatures.problem(headers::get, BODY, SECRET);
  }

  @Test
  void acceptsEachHostsFormat() {
    assertThat(check(Map.of("X-Hub-Signature-256", "sha256=" + SIGNATURE))).isEmpty();
    assertThat(check(Map.of("X-Hub-Signature-256", "SHA256=" + SIGNATURE.toUpperCase()))).isEmpty();
    assertThat(check(Map.of("X-Gitea-Signature", SIGNATURE))).isEmpty();
    assertThat(check(Map.of("X-Forgejo-Signature", SIGNATURE))).isEmpty();
    assertThat(check(Map.of("X-Gogs-Signature", SIGNATURE))).isEmpty();
    assertThat(check(Map.of("X-Gitlab-Token", SECRET))).isEmpty();
  }

  @Test
  void refusesForgeriesAndTamperedBodies() {
    String other = HexFormat.of().formatHex(WebhookSignatures.hmac("another secret", BODY));
    assertThat(check(Map.of("X-Hub-Signature-256", "sha256=" + other))).hasValueSatisfying(p -> assertThat(p).contains("does not match"));
    assertThat(check(Map.of("X-Hub-Signature-256", SIGNATURE))).hasValueSatisfying(p -> assertThat(p).contains("sha256=<hex>"));
    assertThat(WebhookSignatures.problem(Map.of("X-Gitea-Signature", SIGNATURE)::get, "{\"ref\":\"x\"}".getBytes(StandardCharsets.UTF_8), SECRET))
        .isPresent();
    assertThat(check(Map.of("X-Gitlab-Token", SECRET + "x"))).isPresent();
    assertThat(check(Map.of("X-Gitea-Signature", "not hex"))).isPresent();
    assertThat(check(Map.of())).hasValueSatisfying(p -> assertThat(p).contains("not signed"));
  }

  @Test
  void theReasonForARefusalDoesNotDependOnTheSecret() {
    String nobodys = WebhookSignatures.secretNobodyKnows();
    assertThat(nobodys).matches("[0-9a-f]{64}").isNotEqualTo(WebhookSignatures.secretNobodyKnows());
    String forged = HexFormat.of().formatHex(WebhookSignatures.hmac("a guess", BODY));
    for (Map<String, String> headers : java.util.List.of(Map.of("X-Hub-Signature-256", "sha256=" + forged),
        Map.of("X-Hub-Signature-256", forged), Map.of("X-Gitea-Signature", forged), Map.of("X-Gitea-Signature", "not hex"),
        Map.of("X-Gitlab-Token", "a guess"), Map.<String, String>of())) {
      assertThat(WebhookSignatures.problem(headers::get, BODY, nobodys)).as(headers.toString())
          .isPresent().isEqualTo(check(headers));
    }
  }
}
