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

  /** The first certificate in PEM text. */
  public static X509Certificate readCertificate(String pem) throws java.security.GeneralSecurityException {
    return (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
        .generateCertificate(new java.io.ByteArrayInputStream(pem.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
  }

  /** An unencrypted PKCS#8 ("PRIVATE KEY") EC or RSA key. */
  public static java.security.PrivateKey readPrivateKey(String pem) throws java.security.GeneralSecurityException {
    String begin = "-----BEGIN PRIVATE KEY-----";
    int start = pem.indexOf(begin);
    int end = pem.indexOf("-----END PRIVATE KEY-----");
    if (start < 0 || end < start) {
      throw new java.security.spec.InvalidKeySpecException("expected an unencrypted PKCS#8 key (-----BEGIN PRIVATE KEY-----); "
          + "convert others with `openssl pkcs8 -topk8 -nocrypt`");
    }
    byte[] der = Base64.getMimeDecoder().decode(pem.substring(start + begin.length(), end));
    java.security.spec.PKCS8EncodedKeySpec spec = new java.security.spec.PKCS8EncodedKeySpec(der);
    for (String algorithm : new String[] {"EC", "RSA", "Ed25519"}) {
      try {
        return java.security.KeyFactory.getInstance(algorithm).generatePrivate(spec);
      } catch (java.security.spec.InvalidKeySpecException tryNext) {
        // not this algorithm
      }
    }
    throw new java.security.spec.InvalidKeySpecException("the private key is neither EC, RSA nor Ed25519");
  }

  private static String block(String type, byte[] der) {
    String body = Base64.getMimeEncoder(64, "\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
  }
}
