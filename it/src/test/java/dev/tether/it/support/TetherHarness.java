package dev.tether.it.support;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.agent.AgentSettings;
import dev.tether.agent.TetherAgent;
import dev.tether.server.ServerSettings;
import dev.tether.server.TetherServer;
import dev.tether.server.git.GitUrlPolicy;
import dev.tether.testkit.k8s.KubeBinaries;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * A real Tether server in this JVM (real TLS, a real H2 store or the PostgreSQL its settings name, real Git fetches) and real agents that
 * dial it over loopback, with the HTTP API client an administrator would use.
 */
public final class TetherHarness implements AutoCloseable {
  /**
   * The default Git URL rules plus what the tests' repositories need: bare folders, and git daemon,
   * HTTP and SSH servers on 127.0.0.1.
   */
  public static final GitUrlPolicy LOOPBACK_AND_LOCAL = GitUrlPolicy.of(
      Stream.concat(GitUrlPolicy.DEFAULT_RULES.stream(), Stream.of("127.0.0.1")).toList(), true);
  private final Path dir;
  private ServerSettings settings;
  private TetherServer server;
  private ApiClient api;
  private final List<TetherAgent> agents = new ArrayList<>();
  private boolean stopped;
  private InetSocketAddress[] stoppedAt;

  public TetherHarness(Path dir, Duration pollInterval) {
    this(dir, settings -> settings.withPollInterval(pollInterval));
  }

  /** A server with {@link ServerSettings#local} settings and {@link #LOOPBACK_AND_LOCAL}, as {@code change} adjusts them. */
  public TetherHarness(Path dir, UnaryOperator<ServerSettings> change) {
    this.dir = dir;
    // The kustomize that tools/k8s builds renders Kustomize sources, as the image's does in production.
    this.settings = change.apply(ServerSettings.local(dir.resolve("server-data")).withGitUrls(LOOPBACK_AND_LOCAL)
        .withKustomizePath(KubeBinaries.locate().kustomize()));
    startServer();
  }

  private void startServer() {
    server = new TetherServer(settings).start();
    try {
      api = new ApiClient(server.httpUrl(), Files.readString(server.adminTokenFile()).strip());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Stops the server and starts it again on the same ports with the same data dir. */
  public void restartServer() {
    restartServer(UnaryOperator.identity());
  }

  /** Stops the server (unless stopped) and starts it again on the same ports with the same data dir, its settings changed. */
  public void restartServer(UnaryOperator<ServerSettings> change) {
    InetSocketAddress[] at = stopped ? stoppedAt : addresses();
    if (!stopped) {
      server.close();
    }
    stopped = false;
    settings = change.apply(settings).withAddresses(at[0], at[1], at[2]);
    startServer();
  }

  public void stopServer() {
    stoppedAt = addresses();
    server.close();
    stopped = true;
  }

  /** The server's HTTP, agent and proxy addresses. */
  private InetSocketAddress[] addresses() {
    int httpPort = Integer.parseInt(server.httpUrl().substring(server.httpUrl().lastIndexOf(':') + 1));
    int proxyPort = Integer.parseInt(server.kubeProxyUrl().substring(server.kubeProxyUrl().lastIndexOf(':') + 1));
    return new InetSocketAddress[] {new InetSocketAddress("127.0.0.1", httpPort),
        new InetSocketAddress("127.0.0.1", server.agentAddress().getPort()), new InetSocketAddress("127.0.0.1", proxyPort)};
  }

  /** Starts the server stopped by {@link #stopServer()} again, on the same ports with the same data dir. */
  public void startServerAgain() {
    restartServer();
  }

  public TetherServer server() {
    return server;
  }

  public ApiClient api() {
    return api;
  }

  /** The admin token, for requests that set their own headers. */
  public String adminToken() {
    try {
      return Files.readString(server.adminTokenFile()).strip();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String agentTarget() {
    return "127.0.0.1:" + server.agentAddress().getPort();
  }

  public Path caFile() {
    return server.devCaFile().orElseThrow();
  }

  public JsonNode addProject(String id, String url, Map<String, String> credentials) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("id", id);
    body.put("url", url);
    if (!credentials.isEmpty()) {
      body.put("credentials", credentials);
    }
    return api.post("/api/v1/projects", body);
  }

  /** Creates an agent; returns the file its token was written to. */
  public Path createAgent(String name, String configProject) {
    JsonNode created = api.post("/api/v1/agents", Map.of("name", name, "config_project", configProject));
    return writeToken(name + "-" + created.get("token").get("id").asText(), created.get("secret").asText());
  }

  public Path writeToken(String name, String secret) {
    try {
      Path file = dir.resolve(name + ".token");
      Files.writeString(file, secret + "\n");
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public TetherAgent startAgent(Path tokenFile, Optional<Path> kubeconfig) {
    return startAgent(tokenFile, caFile(), kubeconfig);
  }

  public TetherAgent startAgent(Path tokenFile, Path caFile, Optional<Path> kubeconfig) {
    return startAgent(tokenFile, caFile, kubeconfig, false);
  }

  /** With {@code metrics}, the agent serves /metrics on a free loopback port ({@link TetherAgent#metricsPort()}). */
  public TetherAgent startAgent(Path tokenFile, Path caFile, Optional<Path> kubeconfig, boolean metrics) {
    return startAgent(tokenFile, caFile, kubeconfig, metrics, AgentSettings.defaultMaxManifestBytes());
  }

  /** With the agent's limit on manifest bytes per project set to {@code maxManifestBytes}. */
  public TetherAgent startAgent(Path tokenFile, Path caFile, Optional<Path> kubeconfig, boolean metrics, long maxManifestBytes) {
    TetherAgent agent = new TetherAgent(new AgentSettings(agentTarget(), tokenFile, Optional.of(caFile), kubeconfig,
        Duration.ofMillis(500), metrics ? Optional.of(new java.net.InetSocketAddress("127.0.0.1", 0)) : Optional.empty(),
        false, maxManifestBytes)).start();
    agents.add(agent);
    return agent;
  }

  /** An agent with its settings changed by {@code change} (a Lease, for replicas). */
  public TetherAgent startAgent(Path tokenFile, Optional<Path> kubeconfig, java.util.function.UnaryOperator<AgentSettings> change) {
    TetherAgent agent = new TetherAgent(change.apply(new AgentSettings(agentTarget(), tokenFile, Optional.of(caFile()), kubeconfig,
        Duration.ofMillis(500), Optional.empty(), false))).start();
    agents.add(agent);
    return agent;
  }

  public JsonNode agentStatus(String name) {
    return api.get("/api/v1/agents/" + name);
  }

  @Override
  public void close() {
    agents.forEach(TetherAgent::close);
    if (!stopped) {
      server.close();
    }
  }
}
