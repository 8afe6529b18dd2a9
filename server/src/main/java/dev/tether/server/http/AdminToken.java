package dev.tether.server.http;

import dev.tether.common.token.MalformedTokenException;
import dev.tether.common.token.SecretToken;
import dev.tether.server.secrets.PrivateFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The administrator's token: made on the server's first start into {@code <dataDir>/admin-token}
 * (mode 0600), read by the admin commands. The server keeps only its digest in memory.
 */
public final class AdminToken {
  private final String digest;
  private final Path file;

  private AdminToken(String digest, Path file) {
    this.digest = digest;
    this.file = file;
  }

  public static AdminToken loadOrCreate(Path file) {
    try {
      if (!Files.exists(file)) {
        PrivateFiles.writeNew(file, SecretToken.generate(SecretToken.Kind.ADMIN).reveal() + "\n");
      }
      SecretToken token = SecretToken.parse(SecretToken.Kind.ADMIN, Files.readString(file));
      return new AdminToken(token.digest(), file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create the admin token file " + file, e);
    } catch (MalformedTokenException e) {
      throw new IllegalStateException(file + " does not hold an admin token (" + e.getMessage()
          + "); delete it and restart the server to make a new one", e);
    }
  }

  public Path file() {
    return file;
  }

  /**
   * A key for one purpose derived from the token (so the same on every replica that has the token, and
   * new when the token is), for signing what stands in for the token where a header cannot go.
   */
  public byte[] derivedKey(String purpose) {
    try {
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(new javax.crypto.spec.SecretKeySpec(digest.getBytes(java.nio.charset.StandardCharsets.UTF_8), "HmacSHA256"));
      return mac.doFinal(purpose.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this Java runtime", e);
    }
  }

  /** Whether {@code presented} is the admin token, compared in constant time. */
  public boolean accepts(String presented) throws MalformedTokenException {
    return SecretToken.parse(SecretToken.Kind.ADMIN, presented).matches(digest);
  }
}
