package dev.tether.testkit.k8s;

import dev.tether.common.tls.CertificateAuthority;
import dev.tether.common.tls.Pem;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The files a control plane's programs read: a CA and the API server's serving certificate, the
 * certificates the API server and a test node show each other, the service-account signing key, the admin token, the audit policy and, once the API server's URL is
 * known, an admin kubeconfig. All in the control plane's work folder.
 */
final class ControlPlaneFiles {
  private final Path dir;
  private final Path caFile;
  private final String adminToken;

  private ControlPlaneFiles(Path dir, Path caFile, String adminToken) {
    this.dir = dir;
    this.caFile = caFile;
    this.adminToken = adminToken;
  }

  static ControlPlaneFiles write(Path dir) throws IOException {
    CertificateAuthority ca = CertificateAuthority.create("tether-test-kube-ca", Duration.ofDays(7));
    CertificateAuthority.Issued serving = ca.issue(List.of("localhost", "127.0.0.1"), Duration.ofDays(7));
    Path caFile = dir.resolve("ca.crt");
    Files.writeString(caFile, ca.certificatePem());
    Files.writeString(dir.resolve("apiserver.crt"), serving.certificatePem());
    Files.writeString(dir.resolve("apiserver.key"), serving.privateKeyPem());
    // The API server and a test node (TestNode) prove themselves to each other with the same CA,
    // as the API server and a kubelet do: it dials the node for exec, attach and port-forward.
    CertificateAuthority.Issued kubeletClient = ca.issue(List.of("kube-apiserver-kubelet-client"), Duration.ofDays(7));
    Files.writeString(dir.resolve("apiserver-kubelet-client.crt"), kubeletClient.certificatePem());
    Files.writeString(dir.resolve("apiserver-kubelet-client.key"), kubeletClient.privateKeyPem());
    CertificateAuthority.Issued node = ca.issue(List.of("127.0.0.1", "localhost"), Duration.ofDays(7));
    Files.writeString(dir.resolve("node.crt"), node.certificatePem());
    Files.writeString(dir.resolve("node.key"), node.privateKeyPem());
    try {
      KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
      rsa.initialize(2048);
      KeyPair signing = rsa.generateKeyPair();
      Files.writeString(dir.resolve("service-account.key"), Pem.privateKey(signing.getPrivate()));
      Files.writeString(dir.resolve("service-account.pub"), Pem.publicKey(signing.getPublic()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot make a service-account signing key", e);
    }
    byte[] token = new byte[24];
    new SecureRandom().nextBytes(token);
    String adminToken = HexFormat.of().formatHex(token);
    Files.writeString(dir.resolve("tokens.csv"), adminToken + ",admin,admin,system:masters\n");
    // Metadata of every request, so tests can count the writes a feature makes.
    Files.writeString(dir.resolve("audit-policy.yaml"), """
        apiVersion: audit.k8s.io/v1
        kind: Policy
        omitStages: [RequestReceived]
        rules:
          - level: Metadata
        """);
    return new ControlPlaneFiles(dir, caFile, adminToken);
  }

  Path caFile() {
    return caFile;
  }

  String adminToken() {
    return adminToken;
  }

  Path servingCertificate() {
    return dir.resolve("apiserver.crt");
  }

  Path servingKey() {
    return dir.resolve("apiserver.key");
  }

  Path kubeletClientCertificate() {
    return dir.resolve("apiserver-kubelet-client.crt");
  }

  Path kubeletClientKey() {
    return dir.resolve("apiserver-kubelet-client.key");
  }

  Path nodeServingCertificate() {
    return dir.resolve("node.crt");
  }

  Path nodeServingKey() {
    return dir.resolve("node.key");
  }

  Path tokens() {
    return dir.resolve("tokens.csv");
  }

  Path serviceAccountPublicKey() {
    return dir.resolve("service-account.pub");
  }

  Path serviceAccountSigningKey() {
    return dir.resolve("service-account.key");
  }

  Path auditPolicy() {
    return dir.resolve("audit-policy.yaml");
  }

  /** Writes the admin kubeconfig for the API server at {@code url} and returns its path. */
  Path writeKubeconfig(String url) {
    Path kubeconfig = dir.resolve("admin.kubeconfig");
    String yaml = """
        apiVersion: v1
        kind: Config
        clusters:
          - name: tether-test
            cluster:
              server: "%s"
              certificate-authority: "%s"
        users:
          - name: admin
            user:
              token: "%s"
        contexts:
          - name: tether-test
            context:
              cluster: tether-test
              user: admin
        current-context: tether-test
        """.formatted(url, caFile, adminToken);
    try {
      Files.writeString(kubeconfig, yaml);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + kubeconfig, e);
    }
    return kubeconfig;
  }

  /** A TLS context that trusts the control plane's CA, and nothing else. */
  SSLContext trustingCa() {
    try {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(caFile))));
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return context;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + caFile, e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot trust " + caFile + ": " + e.getMessage(), e);
    }
  }
}
