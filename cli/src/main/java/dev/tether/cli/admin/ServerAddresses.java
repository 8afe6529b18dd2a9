package dev.tether.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/**
 * Where agents and kubectl reach the server, as the server reports it ({@code GET /api/v1/server}), made
 * reachable from where the admin command runs: a listener bound to every address is named by the host
 * of {@code --server-url}, as the web UI names it by the browser's.
 *
 * @param agentAddress HOST:PORT for {@code tether agent --server}
 * @param kubeProxyUrl the Kubernetes API proxy's URL, for {@code tether kubeconfig --server}
 * @param caFileOption {@code " --ca-file FILE"} when agents and kubectl must be given the server's development CA, else empty
 */
record ServerAddresses(String agentAddress, String kubeProxyUrl, String caFileOption) {
  private static final Set<String> EVERY_ADDRESS = Set.of("0.0.0.0", "::", "[::]");
  private static final Set<String> LOOPBACK = Set.of("localhost", "127.0.0.1", "::1", "[::1]");

  static ServerAddresses of(AdminConnection connection, AdminClient client) {
    return of(client.get("/api/v1/server"), connection.serverUrl, connection.adminTokenFile);
  }

  /** @param server the answer to {@code GET /api/v1/server} */
  static ServerAddresses of(JsonNode server, String serverUrl, Path adminTokenFile) {
    String adminHost = URI.create(serverUrl).getHost();
    String agentAddress = server.path("agent_address").asText();
    int colon = agentAddress.lastIndexOf(':');
    String agentHost = reachable(agentAddress.substring(0, colon), adminHost);
    URI proxy = URI.create(server.path("kube_proxy_url").asText());
    String proxyUrl = proxy.getScheme() + "://" + reachable(proxy.getHost(), adminHost) + ":" + proxy.getPort();
    String ca = "";
    if (server.hasNonNull("dev_ca_certificate")) {
      ca = " --ca-file " + localCopyOfCa(adminTokenFile, server.get("dev_ca_certificate").asText())
          .map(Path::toString).orElse("<the server's data dir>/tls/ca.crt");
    }
    return new ServerAddresses(agentHost + agentAddress.substring(colon), proxyUrl, ca);
  }

  private static String reachable(String host, String adminHost) {
    if (adminHost == null) {
      return host;
    }
    if (EVERY_ADDRESS.contains(host) || (LOOPBACK.contains(host) && !LOOPBACK.contains(adminHost))) {
      return adminHost;
    }
    return host;
  }

  /** The server writes its development CA next to the admin token; found there when this command reads that file. */
  private static Optional<Path> localCopyOfCa(Path adminTokenFile, String pem) {
    if (adminTokenFile == null) {
      return Optional.empty();
    }
    Path ca = adminTokenFile.resolveSibling(Path.of("tls", "ca.crt"));
    try {
      return Files.isRegularFile(ca) && Files.readString(ca).strip().equals(pem.strip()) ? Optional.of(ca) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty(); // then the placeholder says where the file is
    }
  }
}
