package dev.tether.common.token;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A bearer secret: a fixed, recognisable prefix (so secret scanners find leaks) and 32 random bytes.
 * Only its digest is ever stored; the token itself is shown once and never logged ({@link #toString}
 * hides it).
 */
public final class SecretToken {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int RANDOM_BYTES = 32;
  private static final int BODY_LENGTH = 43; // base64url of 32 bytes, unpadded
  private static final Pattern BODY = Pattern.compile("[A-Za-z0-9_-]{" + BODY_LENGTH + "}");

  /** What a token is for; the prefix says it at a glance. */
  public enum Kind {
    AGENT("tether-agent-"),
    ADMIN("tether-admin-"),
    ACCESS("tether-access-");

    private final String prefix;

    Kind(String prefix) {
      this.prefix = prefix;
    }

    public String prefix() {
      return prefix;
    }
  }

  private final Kind kind;
  private final String value;

  private SecretToken(Kind kind, String value) {
    this.kind = kind;
    this.value = value;
  }

  public static SecretToken generate(Kind kind) {
    byte[] bytes = new byte[RANDOM_BYTES];
    RANDOM.nextBytes(bytes);
    return new SecretToken(kind, kind.prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
  }

  /**
   * Reads a token a client presented. The error names what is wrong in general terms and never
   * repeats the presented text, which might be some other secret pasted by mistake.
   */
  public static SecretToken parse(Kind kind, String presented) throws MalformedTokenException {
    if (presented == null || presented.isBlank()) {
      throw new MalformedTokenException("no token was given");
    }
    String trimmed = presented.strip();
    if (!trimmed.startsWith(kind.prefix)) {
      throw new MalformedTokenException("this is not a Tether " + kind.name().toLowerCase(java.util.Locale.ROOT)
          + " token (those start with '" + kind.prefix + "')");
    }
    if (!BODY.matcher(trimmed.substring(kind.prefix.length())).matches()) {
      throw new MalformedTokenException("the " + kind.name().toLowerCase(java.util.Locale.ROOT)
          + " token is malformed: expected '" + kind.prefix + "' and " + BODY_LENGTH
          + " characters of A-Z, a-z, 0-9, '-' and '_'; was it copied whole?");
    }
    return new SecretToken(kind, trimmed);
  }

  public Kind kind() {
    return kind;
  }

  /** The secret itself: for showing once to its owner and for sending, nothing else. */
  public String reveal() {
    return value;
  }

  /** What is stored: {@code sha256:<hex>}. Tokens carry 256 random bits, so a fast hash suffices. */
  public String digest() {
    return digestOf(value);
  }

  /** Compares a presented token with a stored digest in constant time. */
  public boolean matches(String storedDigest) {
    return MessageDigest.isEqual(digest().getBytes(StandardCharsets.US_ASCII),
        storedDigest.getBytes(StandardCharsets.US_ASCII));
  }

  static String digestOf(String value) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
      return "sha256:" + HexFormat.of().formatHex(hash);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  @Override
  public String toString() {
    return kind.prefix + "…";
  }
}
