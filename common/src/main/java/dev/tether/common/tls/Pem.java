package dev.tether.common.tls;

import java.security.Key;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;

/** PEM text for keys and certificates, in the forms Go, OpenSSL, Netty and kubectl all read. */
public final class Pem {
  private Pem() {}

  public static String certificate(X509Certificate certificate) {
    try {
      return block("CERTIFICATE", certificate.getEncoded());
    } catch (CertificateEncodingException e) {
      throw new IllegalStateException("cannot encode certificate " + certificate.getSubjectX500Principal(), e);
    }
  }

  /** A private key as unencrypted PKCS#8 ("PRIVATE KEY"). */
  public static String privateKey(Key key) {
    return block("PRIVATE KEY", key.getEncoded());
  }

  /** A public key as X.509 SubjectPublicKeyInfo ("PUBLIC KEY"). */
  public static String publicKey(Key key) {
    return block("PUBLIC KEY", key.getEncoded());
  }

  private static String block(String type, byte[] der) {
    String body = Base64.getMimeEncoder(64, "\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
  }
}
