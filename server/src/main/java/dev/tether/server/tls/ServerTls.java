package dev.tether.server.tls;

import dev.tether.common.tls.CertificateAuthority;
import dev.tether.common.tls.Pem;
import dev.tether.server.secrets.PrivateFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The agent listener's certificate: given as files, or made by a development CA in the data dir. */
public final class ServerTls {
  private static final Logger log = LoggerFactory.getLogger(ServerTls.class);

  /** PEM files for the listener, and the CA agents must trust when the server made it. */
  public record Material(Path certFile, Path keyFile, Optional<Path> devCaFile) {}

  private ServerTls() {}

  /** Checks that the files exist and hold a certificate and an unencrypted PKCS#8 key. */
  public static Material fromFiles(Path certFile, Path keyFile) {
    try {
      X509Certificate certificate = Pem.readCertificate(Files.readString(certFile));
      if (certificate.getNotAfter().toInstant().isBefore(Instant.now())) {
        throw new IllegalArgumentException("the certificate in " + certFile + " expired at " + certificate.getNotAfter().toInstant());
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the TLS certificate file " + certFile + ": " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(certFile + " does not hold a PEM certificate: " + e.getMessage(), e);
    }
    try {
      Pem.readPrivateKey(Files.readString(keyFile));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the TLS key file " + keyFile + ": " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(keyFile + " does not hold a usable key: " + e.getMessage(), e);
    }
    return new Material(certFile, keyFile, Optional.empty());
  }

  /**
   * For trying Tether out: a CA in {@code <dataDir>/tls} (made once, kept across restarts so agents
   * keep trusting it) and a server certificate for {@code hosts}, re-issued when the hosts change or
   * it nears expiry.
   */
  public static Material dev(Path dataDir, List<String> hosts) {
    Path dir = dataDir.resolve("tls");
    Path caCert = dir.resolve("ca.crt");
    Path caKey = dir.resolve("ca.key");
    Path cert = dir.resolve("server.crt");
    Path key = dir.resolve("server.key");
    try {
      Files.createDirectories(dir);
      CertificateAuthority ca;
      if (Files.exists(caCert) && Files.exists(caKey)) {
        ca = CertificateAuthority.load(Pem.readCertificate(Files.readString(caCert)), Pem.readPrivateKey(Files.readString(caKey)));
      } else {
        ca = CertificateAuthority.create("Tether development CA", Duration.ofDays(3650));
        Files.deleteIfExists(caKey);
        PrivateFiles.writeNew(caKey, Pem.privateKey(ca.privateKey()));
        Files.writeString(caCert, ca.certificatePem());
        Files.deleteIfExists(cert);
        log.info("Created a development CA in {}", caCert);
      }
      if (!Files.exists(cert) || !Files.exists(key) || !fits(Pem.readCertificate(Files.readString(cert)), ca, hosts)) {
        CertificateAuthority.Issued issued = ca.issue(hosts, Duration.ofDays(365));
        Files.deleteIfExists(key);
        PrivateFiles.writeNew(key, issued.privateKeyPem());
        Files.writeString(cert, issued.certificatePem());
        log.info("Issued a development server certificate for {}", hosts);
      }
      return new Material(cert, key, Optional.of(caCert));
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot prepare development TLS in " + dir + ": " + e.getMessage()
          + " (delete that folder to start over; agents then need the new ca.crt)", e);
    }
  }

  private static boolean fits(X509Certificate certificate, CertificateAuthority ca, List<String> hosts) throws CertificateParsingException {
    try {
      certificate.verify(ca.certificate().getPublicKey());
    } catch (GeneralSecurityException e) {
      return false;
    }
    if (certificate.getNotAfter().toInstant().isBefore(Instant.now().plus(Duration.ofDays(30)))) {
      return false;
    }
    Set<String> named = new HashSet<>();
    Collection<List<?>> sans = certificate.getSubjectAlternativeNames();
    if (sans != null) {
      sans.forEach(san -> named.add(normalize(String.valueOf(san.get(1)))));
    }
    Set<String> wanted = new LinkedHashSet<>();
    hosts.forEach(h -> wanted.add(normalize(h)));
    return named.containsAll(wanted);
  }

  private static String normalize(String host) {
    // Certificates list IPv6 in full; compare the parsed form.
    if (host.contains(":")) {
      try {
        return java.net.InetAddress.getByName(host).getHostAddress();
      } catch (java.net.UnknownHostException e) {
        return host;
      }
    }
    return host.toLowerCase(java.util.Locale.ROOT);
  }
}
