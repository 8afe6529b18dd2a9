package dev.tether.server.http;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Checks that a push webhook comes from the Git host that knows the project's secret, in the forms
 * the common hosts use:
 * <ul>
 *   <li>GitHub: {@code X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>}</li>
 *   <li>Gitea, Forgejo, Gogs: {@code X-Gitea-Signature} / {@code X-Forgejo-Signature} /
 *       {@code X-Gogs-Signature}: hex HMAC-SHA256 of the body</li>
 *   <li>GitLab: {@code X-Gitlab-Token: <secret>}</li>
 * </ul>
 */
final class WebhookSignatures {
  /** Why a request that no check could accept was refused; it says nothing about the project. */
  static final String NOT_MATCHING = "the request's signature does not match this project's webhook secret";
  private static final SecureRandom RANDOM = new SecureRandom();

  private WebhookSignatures() {}

  /** A secret as long as a generated project secret, which no Git host can sign with. */
  static String secretNobodyKnows() {
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    return HexFormat.of().formatHex(secret);
  }

  /** Empty when the request is authentic, else why not (without revealing anything about the secret). */
  static Optional<String> problem(Function<String, String> header, byte[] body, String secret) {
    String github = header.apply("X-Hub-Signature-256");
    if (github != null) {
      if (!github.toLowerCase(Locale.ROOT).startsWith("sha256=")) {
        return Optional.of("X-Hub-Signature-256 must be 'sha256=<hex>'");
      }
      return equalHex(github.substring(7), hmac(secret, body)) ? Optional.empty() : Optional.of("X-Hub-Signature-256 does not match the body");
    }
    for (String name : new String[] {"X-Forgejo-Signature", "X-Gitea-Signature", "X-Gogs-Signature"}) {
      String value = header.apply(name);
      if (value != null) {
        return equalHex(value, hmac(secret, body)) ? Optional.empty() : Optional.of(name + " does not match the body");
      }
    }
    String gitlab = header.apply("X-Gitlab-Token");
    if (gitlab != null) {
      return MessageDigest.isEqual(gitlab.getBytes(StandardCharsets.UTF_8), secret.getBytes(StandardCharsets.UTF_8))
          ? Optional.empty() : Optional.of("X-Gitlab-Token is not this project's webhook secret");
    }
    return Optional.of("the request is not signed: send X-Hub-Signature-256 (GitHub), X-Gitea-Signature / "
        + "X-Forgejo-Signature (Gitea, Forgejo) or X-Gitlab-Token (GitLab) made with the project's webhook secret");
  }

  static byte[] hmac(String secret, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return mac.doFinal(body);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
    }
  }

  private static boolean equalHex(String presentedHex, byte[] expected) {
    byte[] presented;
    try {
      presented = HexFormat.of().parseHex(presentedHex.strip().toLowerCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return false;
    }
    return MessageDigest.isEqual(presented, expected);
  }
}
