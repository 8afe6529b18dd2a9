package dev.tether.cli.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerAddressesTest {
  private static final String CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

  @Test
  void listenersOnEveryAddressAreNamedByTheHostOfTheServerUrl() {
    ServerAddresses addresses = ServerAddresses.of(server("0.0.0.0:8443", "https://localhost:8444", null),
        "https://tether.example.com", Path.of("tether-data/admin-token"));
    assertThat(addresses.agentAddress()).isEqualTo("tether.example.com:8443");
    assertThat(addresses.kubeProxyUrl()).isEqualTo("https://tether.example.com:8444");
    assertThat(addresses.caFileOption()).isEmpty();
  }

  @Test
  void namedListenersStayAsTheServerReportsThem() {
    ServerAddresses addresses = ServerAddresses.of(server("10.0.0.7:9443", "https://10.0.0.7:9444", null),
        "http://127.0.0.1:8080", Path.of("tether-data/admin-token"));
    assertThat(addresses.agentAddress()).isEqualTo("10.0.0.7:9443");
    assertThat(addresses.kubeProxyUrl()).isEqualTo("https://10.0.0.7:9444");
  }

  @Test
  void theDevelopmentCaIsTheCopyNextToTheAdminTokenWhenItIsTheSame(@TempDir Path dir) throws Exception {
    Path data = dir.resolve("tether-data");
    Files.createDirectories(data.resolve("tls"));
    Files.writeString(data.resolve("tls/ca.crt"), CA);
    ServerAddresses addresses = ServerAddresses.of(server("127.0.0.1:8443", "https://localhost:8444", CA),
        "http://127.0.0.1:8080", data.resolve("admin-token"));
    assertThat(addresses.caFileOption()).isEqualTo(" --ca-file " + data.resolve("tls/ca.crt"));
  }

  @Test
  void anotherServersCaIsNotOffered(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("tls"));
    Files.writeString(dir.resolve("tls/ca.crt"), CA.replace("MIIB", "MIIC"));
    ServerAddresses addresses = ServerAddresses.of(server("127.0.0.1:8443", "https://localhost:8444", CA),
        "http://127.0.0.1:8080", dir.resolve("admin-token"));
    assertThat(addresses.caFileOption()).isEqualTo(" --ca-file <the server's data dir>/tls/ca.crt");
  }

  private static JsonNode server(String agentAddress, String kubeProxyUrl, String ca) {
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("version", "0.1.0");
    view.put("agent_address", agentAddress);
    view.put("kube_proxy_url", kubeProxyUrl);
    view.put("dev_ca_certificate", ca);
    return new ObjectMapper().valueToTree(view);
  }
}
