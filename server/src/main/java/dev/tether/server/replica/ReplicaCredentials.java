package dev.tether.server.replica;

import dev.tether.common.tls.CertificateAuthority;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

/**
 * What a replica proves itself with to the others, made afresh at every start and never written to
 * disk: a key pair with a certificate for its internal listener (callers pin that very certificate,
 * published in its row), and a random secret it presents when it calls another replica (its row
 * holds only the secret's hash).
 */
public final class ReplicaCredentials {
  private static final SecureRandom RANDOM = new SecureRandom();
  // Longer than any replica runs between restarts; the pin, not the expiry, is what callers check.
  private static final Duration VALIDITY = Duration.ofDays(3650);

  private final CertificateAuthority.Issued tls;
  private final String secret;

  private ReplicaCredentials(CertificateAuthority.Issued tls, String secret) {
    this.tls = tls;
    this.secret = secret;
  }

  /** @param hosts the names and addresses other replicas dial, for the certificate's subject alternative names */
  public static ReplicaCredentials create(ReplicaId id, List<String> hosts) {
    // The issuing CA is thrown away at once: nothing but this one pinned certificate is ever trusted.
    CertificateAuthority throwaway = CertificateAuthority.create("tether replica " + id.value(), VALIDITY);
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return new ReplicaCredentials(throwaway.issue(hosts, VALIDITY), HexFormat.of().formatHex(bytes));
  }

  public String certificatePem() {
    return tls.certificatePem();
  }

  /** The secret this replica presents to the others; never logged, never stored. */
  public String secret() {
    return secret;
  }

  public String secretHash() {
    return hash(secret);
  }

  /** The internal listener's key and certificate. */
  public KeyStore keyStore() {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("replica", tls.privateKey(), new char[0], new X509Certificate[] {tls.certificate()});
      return store;
    } catch (Exception e) {
      throw new IllegalStateException("cannot hold the replica's own key: " + e.getMessage(), e);
    }
  }

  /** SHA-256 in hex, as rows keep a replica's secret. */
  public static String hash(String secret) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
