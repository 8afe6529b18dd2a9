package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.server.configuration.ConfigurationModule;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The modules TetherServer lists register what they serve, and stop so completely that the server starts again on the same data. */
class ServerAssemblyTest {
  private final HttpClient http = HttpClient.newHttpClient();

  @TempDir
  Path dataDir;

  @Test
  void everyModuleServesAndAllStopSoThatTheServerStartsAgain() throws Exception {
    for (int run = 1; run <= 2; run++) {
      try (TetherServer server = new TetherServer(ServerSettings.local(dataDir)).start()) {
        String adminToken = Files.readString(server.adminTokenFile()).strip();
        // observability
        assertThat(get(server.httpUrl() + "/healthz", null).body()).isEqualTo("ok");
        assertThat(get(server.httpUrl() + "/metrics", null).body()).contains("tether_git_fetch");
        // http: the API behind the admin token, and the web UI
        assertThat(get(server.httpUrl() + "/api/v1/agents", null).statusCode()).isEqualTo(401);
        assertThat(get(server.httpUrl() + "/api/v1/agents", adminToken).body()).isEqualTo("[]");
        assertThat(get(server.httpUrl() + "/ui/", null).statusCode()).isEqualTo(200);
        HttpResponse<String> about = get(server.httpUrl() + "/api/v1/server", adminToken);
        assertThat(about.body()).contains("\"agent_address\":\"127.0.0.1:" + server.agentAddress().getPort() + "\"")
            .contains("\"kube_proxy_url\":\"" + server.kubeProxyUrl() + "\"");
        // connection, configuration, gitops: the agent listener; kubeproxy: its own listener
        try (Socket agents = new Socket("127.0.0.1", server.agentAddress().getPort());
             Socket proxy = new Socket("127.0.0.1", URI.create(server.kubeProxyUrl()).getPort())) {
          assertThat(agents.isConnected()).isTrue();
          assertThat(proxy.isConnected()).isTrue();
        }
      }
    }
  }

  @Test
  void aModuleListedBeforeThePartItNeedsSaysWhichPartIsMissing() {
    try (ServerContext context = ServerContext.open(ServerSettings.local(dataDir))) {
      assertThatThrownBy(() -> new ConfigurationModule(context))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("GitPoller")
          .hasMessageContaining("list the module that makes it first");
    }
  }

  @Test
  void agentsAreNeverServedWithoutTheConnectionModulesAuthentication() {
    try (ServerContext context = ServerContext.open(ServerSettings.local(dataDir))) {
      assertThatThrownBy(() -> context.agentListener().start())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("the connection module must be listed");
      context.agentListener().stop();
    }
  }

  private HttpResponse<String> get(String url, String token) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
