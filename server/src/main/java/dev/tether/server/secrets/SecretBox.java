package dev.tether.server.secrets;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals secrets the server must be able to read back (Git credentials, webhook secrets) before
 * they go into the database, with AES-256-GCM and a key kept in a 0600 file in the data dir. A
 * copy of the database alone reveals none of them.
 */
public final class SecretBox {
  private static final String VERSION = "v1:";
  private static final int IV_BYTES = 12;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SecretKeySpec key;

  private SecretBox(byte[] key) {
    this.key = new SecretKeySpec(key, "AES");
  }

  /** The key in {@code keyFile}, made on first use. */
  public static SecretBox fromKeyFile(Path keyFile) {
    try {
      if (!Files.exists(keyFile)) {
        byte[] fresh = new byte[32];
        RANDOM.nextBytes(fresh);
        PrivateFiles.writeNew(keyFile, Base64.getEncoder().encodeToString(fresh) + "\n");
      }
      byte[] key = Base64.getDecoder().decode(Files.readString(keyFile).strip());
      if (key.length != 32) {
        throw new IllegalStateException(keyFile + " does not hold a 256-bit key; restore it from your backup of the data dir");
      }
      return new SecretBox(key);
    } catch (FileAlreadyExistsException raced) {
      return fromKeyFile(keyFile);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create the secret key " + keyFile, e);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(keyFile + " is not a base64 key; restore it from your backup of the data dir", e);
    }
  }

  public String seal(String plaintext) {
    try {
      byte[] iv = new byte[IV_BYTES];
      RANDOM.nextBytes(iv);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, iv));
      byte[] sealed = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
      return VERSION + Base64.getEncoder().encodeToString(ByteBuffer.allocate(iv.length + sealed.length).put(iv).put(sealed).array());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot seal a secret: " + e.getMessage(), e);
    }
  }

  public String open(String sealed) {
    if (!sealed.startsWith(VERSION)) {
      throw new IllegalStateException("a stored secret is in an unknown format");
    }
    try {
      byte[] all = Base64.getDecoder().decode(sealed.substring(VERSION.length()));
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, all, 0, IV_BYTES));
      return new String(cipher.doFinal(all, IV_BYTES, all.length - IV_BYTES), StandardCharsets.UTF_8);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalStateException("a stored secret cannot be opened with this data dir's secret key "
          + "(was the key file replaced? Server replicas on one database must all have the same secret.key)", e);
    }
  }
}
