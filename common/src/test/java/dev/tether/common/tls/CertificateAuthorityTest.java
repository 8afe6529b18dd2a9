package dev.tether.common.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class CertificateAuthorityTest {

  @Test
  void issuedCertificateChainsToTheCaAndNamesEveryHost() throws Exception {
    CertificateAuthority ca = CertificateAuthority.create("tether-test-ca", Duration.ofDays(1));
    CertificateAuthority.Issued issued = ca.issue(List.of("localhost", "127.0.0.1", "::1"), Duration.ofDays(1));

    X509Certificate parsed = (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(issued.certificatePem().getBytes(StandardCharsets.US_ASCII)));
    parsed.verify(ca.certificate().getPublicKey());
    parsed.checkValidity();
    Set<String> names = parsed.getSubjectAlternativeNames().stream()
        .map(entry -> (String) entry.get(1)).collect(Collectors.toSet());
    assertThat(names).contains("localhost", "127.0.0.1");
    assertThat(names).anyMatch(n -> n.startsWith("0:0:0:0:0:0:0:1"));
    assertThat(parsed.getBasicConstraints()).isEqualTo(-1);
    assertThat(ca.certificate().getBasicConstraints()).isGreaterThanOrEqualTo(0);
    assertThat(issued.privateKeyPem()).startsWith("-----BEGIN PRIVATE KEY-----\n");
  }

  @Test
  void refusesACertificateWithoutHosts() {
    CertificateAuthority ca = CertificateAuthority.create("tether-test-ca", Duration.ofDays(1));
    assertThatThrownBy(() -> ca.issue(List.of(), Duration.ofDays(1)))
        .hasMessageContaining("at least one host");
  }
}
