package dev.tether.demo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.agent.AgentSettings;
import dev.tether.agent.TetherAgent;
import dev.tether.cli.admin.AdminClient;
import dev.tether.common.kubeproxy.ProxyKubeconfig;
import dev.tether.server.ServerSettings;
import dev.tether.server.git.GitUrlPolicy;
import dev.tether.server.TetherServer;
import dev.tether.testkit.k8s.KubeBinaries;
import dev.tether.testkit.k8s.KubeControlPlane;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Predicate;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The README's run command: a real Kubernetes control plane, two Git repositories, a Tether server
 * with its embedded store and an agent, all on this machine. It prints where to look, syncs a
 * commit while you watch, then follows what happens until Ctrl-C stops everything.
 */
@Command(name = "tools/demo.sh", mixinStandardHelpOptions = true,
    description = {
        "Runs Tether end to end on this machine: etcd + kube-apiserver + kube-controller-manager, a config project and a "
            + "manifest project in local Git repositories, a server (embedded H2 store, development TLS) and an agent.",
        "It prints the web UI's address, the admin token and a kubeconfig for kubectl through the proxy, shows a commit "
            + "being synced, then prints every event until Ctrl-C, which stops everything it started."
    },
    footer = {"", "Examples:", "  tools/demo.sh", "  tools/demo.sh --http-port 9090 --dir /tmp/tether-demo"})
public final class TetherDemo implements Callable<Integer> {
  private static final Duration SYNC_TIMEOUT = Duration.ofMinutes(2);

  @Option(names = "--dir", paramLabel = "DIR", defaultValue = "${env:TETHER_DEMO_DIR:-${sys:user.home}/.cache/tether/demo}",
      description = "Where the demo keeps its files; emptied at start (default: ${DEFAULT-VALUE}).")
  Path dir;

  @Option(names = "--http-port", paramLabel = "PORT", defaultValue = "8080",
      description = "The web UI and HTTP API (default: ${DEFAULT-VALUE}; 0 for any free port).")
  int httpPort;

  @Option(names = "--agent-port", paramLabel = "PORT", defaultValue = "8443",
      description = "The agent listener (default: ${DEFAULT-VALUE}; 0 for any free port).")
  int agentPort;

  @Option(names = "--proxy-port", paramLabel = "PORT", defaultValue = "8444",
      description = "The Kubernetes API proxy (default: ${DEFAULT-VALUE}; 0 for any free port).")
  int proxyPort;

  private final PrintStream out = System.out;
  private KubeControlPlane plane;
  private TetherServer server;
  private TetherAgent agent;

  public static void main(String[] args) {
    // Before anything logs: the server's and agent's logs go to a file, the terminal shows the story.
    System.setProperty("logback.configurationFile", "tether-demo-logback.xml");
    // Plain text, terminal or not: picocli's styles came out as stray escape codes in some terminals and logs.
    int code = new CommandLine(new TetherDemo())
        .setColorScheme(CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF))
        .setUsageHelpAutoWidth(true)
        .execute(args);
    System.exit(code);
  }

  @Override
  public Integer call() throws Exception {
    dir = dir.toAbsolutePath();
    deleteRecursively(dir);
    Files.createDirectories(dir);
    System.setProperty("tether.demo.log", dir.resolve("tether.log").toString());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stopped.countDown(); // first, so that the event follower stops asking the server
      stop();
    }, "demo-shutdown"));

    out.println("Tether demo: everything runs on this machine; its files are in " + dir);
    step(1, "Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager)");
    KubeBinaries binaries = KubeBinaries.locate();
    plane = KubeControlPlane.start(binaries, dir.resolve("control-plane"));
    out.printf("      Kubernetes %s at %s, started in %.1f s%n", binaries.kubernetesVersion(), plane.url(),
        plane.startupTimes().totalMillis() / 1000.0);

    step(2, "Git repositories");
    DemoRepositories repos = DemoRepositories.create(dir.resolve("git"));
    out.println("      config project   " + DemoRepositories.CONFIG_PROJECT + "  " + repos.config.bareDir());
    out.println("      manifest project " + DemoRepositories.APP_PROJECT + "     " + repos.app.bareDir());

    step(3, "Tether server (embedded H2 store, development TLS)");
    server = new TetherServer(ServerSettings.local(dir.resolve("server"))
        .withAddresses(new InetSocketAddress("127.0.0.1", httpPort), new InetSocketAddress("127.0.0.1", agentPort),
            new InetSocketAddress("127.0.0.1", proxyPort))
        .withPollInterval(Duration.ofSeconds(5))
        // The demo's repositories are folders on this machine.
        .withGitUrls(GitUrlPolicy.of(List.of(), true))).start();
    String adminToken = Files.readString(server.adminTokenFile()).strip();
    AdminClient api = new AdminClient(server.httpUrl(), adminToken);
    api.post("/api/v1/projects", Map.of("id", DemoRepositories.CONFIG_PROJECT, "url", repos.config.bareDir().toString()));
    String webhookSecret = api.post("/api/v1/projects", Map.of("id", DemoRepositories.APP_PROJECT,
        "url", repos.app.bareDir().toString())).get("webhook_secret").asText();
    JsonNode created = api.post("/api/v1/agents", Map.of("name", DemoRepositories.AGENT, "config_project",
        DemoRepositories.CONFIG_PROJECT));
    Path agentToken = writePrivate(dir.resolve("demo-agent.token"), created.get("secret").asText() + "\n");
    out.println("      HTTP " + server.httpUrl() + ", agents " + server.agentAddress().getHostString() + ":"
        + server.agentAddress().getPort() + " (TLS), Kubernetes API proxy " + server.kubeProxyUrl());

    step(4, "Tether agent '" + DemoRepositories.AGENT + "' (dials out to the server; its cluster is the control plane above)");
    agent = new TetherAgent(new AgentSettings("127.0.0.1:" + server.agentAddress().getPort(), agentToken, server.devCaFile(),
        Optional.of(plane.kubeconfig()), AgentSettings.DEFAULT_HEARTBEAT, Optional.of(new InetSocketAddress("127.0.0.1", 0)),
        false)).start();
    awaitApi(api, "/api/v1/agents/" + DemoRepositories.AGENT, a -> a.get("connected").asBoolean(), "the agent to connect");
    out.println("      connected; agent metrics at http://127.0.0.1:" + agent.metricsPort().orElseThrow() + "/metrics");

    step(5, "First sync of " + DemoRepositories.APP_PROJECT);
    JsonNode first = awaitSyncedAndHealthy(api, repos.app.head());
    out.printf("      %s synced in %d ms, every object Healthy:%n", shortCommit(first.get("commit").asText()),
        first.get("duration_ms").asLong());
    for (JsonNode o : first.get("objects")) {
      out.printf("        %-14s %-36s %s%n", o.get("kind").asText(),
          (o.get("namespace").asText().isEmpty() ? "" : o.get("namespace").asText() + "/") + o.get("name").asText(),
          o.get("health").asText().equals("Current") ? "Healthy" : o.get("health").asText());
    }

    JsonNode access = api.post("/api/v1/access-tokens", Map.of("user", "demo", "projects", java.util.List.of(
        DemoRepositories.APP_PROJECT), "description", "the demo's kubectl"));
    Path kubeconfig = writePrivate(dir.resolve("proxy.kubeconfig"), ProxyKubeconfig.yaml(DemoRepositories.AGENT,
        access.get("secret").asText(), server.kubeProxyUrl(),
        Optional.of(Files.readString(server.devCaFile().orElseThrow(), StandardCharsets.US_ASCII)), Optional.of("demo-app")));

    step(6, "A commit being synced: the example's color, blue to green");
    long pushed = System.nanoTime();
    String commit = repos.paintItGreen();
    out.println("      pushed " + shortCommit(commit) + " \"Paint it green\" to " + repos.app.bareDir());
    pushWebhook(server.httpUrl(), webhookSecret);
    out.println("      push webhook sent, as a Git host would; the server fetches at once (it also polls every 5 s)");
    awaitApi(api, "/api/v1/projects/" + DemoRepositories.APP_PROJECT,
        p -> commit.equals(p.at("/last_fetch/head_commit").asText()), "the server to fetch " + shortCommit(commit));
    out.printf("      server fetched it %d ms after the push and sent the manifests to the agent%n", millisSince(pushed));
    JsonNode second = awaitSyncedAndHealthy(api, commit);
    out.printf("      agent applied it %d ms after the push: %d applied, %d unchanged, %d pruned, %d failed%n", millisSince(pushed),
        second.get("applied").asInt(), second.get("unchanged").asInt(), second.get("pruned").asInt(),
        second.get("failed").asInt());

    out.println();
    out.println("Ready. Look around:");
    out.println("  Web UI       " + server.httpUrl() + "/ui/");
    out.println("  Admin token  " + adminToken + "   (also in " + server.adminTokenFile() + ")");
    out.println("  kubectl      export KUBECONFIG=" + kubeconfig);
    out.println("               export PATH=" + binaries.kubectl().getParent() + ":$PATH");
    out.println("               kubectl get configmaps,services,serviceaccounts   # through the proxy and the agent's tunnel");
    out.println("  tether CLI   TETHER_SERVER_URL=" + server.httpUrl() + " TETHER_ADMIN_TOKEN_FILE=" + server.adminTokenFile()
        + " \\");
    out.println("                 java -jar cli/target/tether.jar admin status");
    out.println("  Change Git   cd " + repos.app.workDir() + " && edit manifests/*.yaml && git commit -am '...' && git push");
    out.println("  Logs         " + dir.resolve("tether.log") + " (server and agent), " + plane.logDir() + " (Kubernetes)");
    out.println();
    out.println("Following events (Ctrl-C stops the agent, the server and the control plane):");
    new EventFollower(api, out).followUntil(stopped);
    return 0;
  }

  private void step(int n, String what) {
    out.printf("[%d/6] %s%n", n, what);
  }

  private JsonNode awaitSyncedAndHealthy(AdminClient api, String commit) throws InterruptedException {
    JsonNode state = awaitApi(api, "/api/v1/agents/" + DemoRepositories.AGENT + "/gitops", states -> {
      if (states.isEmpty()) {
        return false;
      }
      JsonNode s = states.get(0);
      if (!s.get("commit").asText().equals(commit) || s.get("phase").asText().equals("syncing")) {
        return false;
      }
      if (s.get("phase").asText().equals("failed")) {
        throw new IllegalStateException("the sync of " + shortCommit(commit) + " failed: " + s.get("message").asText());
      }
      for (JsonNode o : s.get("objects")) {
        if (!o.get("health").asText().equals("Current")) {
          return false;
        }
      }
      return true;
    }, "the agent to sync " + shortCommit(commit) + " and every object to be Healthy");
    return state.get(0);
  }

  private static JsonNode awaitApi(AdminClient api, String path, Predicate<JsonNode> done, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + SYNC_TIMEOUT.toNanos();
    while (true) {
      JsonNode body = api.get(path);
      if (done.test(body)) {
        return body;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("waited " + SYNC_TIMEOUT.toSeconds() + " s for " + what + "; the last answer of "
            + path + " was " + body);
      }
      Thread.sleep(100);
    }
  }

  private static void pushWebhook(String httpUrl, String secret) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(httpUrl + "/api/v1/projects/" + DemoRepositories.APP_PROJECT
            + "/hooks/push")).header("X-Gitlab-Token", secret).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"ref\":\"refs/heads/main\"}")).build();
    HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 202) {
      throw new IllegalStateException("the push webhook was answered " + response.statusCode() + ": " + response.body());
    }
  }

  private synchronized void stop() {
    out.println();
    out.println("Stopping…");
    try {
      if (agent != null) {
        agent.close();
        out.println("  agent stopped");
      }
      if (server != null) {
        server.close();
        out.println("  server stopped");
      }
      if (plane != null) {
        plane.close();
        out.println("  control plane stopped");
      }
      out.println("Nothing left running. Files (logs, repositories, the server's data) stay in " + dir);
    } catch (RuntimeException e) {
      out.println("Stopping failed: " + e);
    }
    out.flush();
  }

  private static Path writePrivate(Path file, String content) throws java.io.IOException {
    Files.deleteIfExists(file);
    Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
    return Files.writeString(file, content);
  }

  private static void deleteRecursively(Path path) throws java.io.IOException {
    if (!Files.exists(path)) {
      return;
    }
    try (var files = Files.walk(path)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  private static long millisSince(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000;
  }

  static String shortCommit(String commit) {
    return commit.length() > 12 ? commit.substring(0, 12) : commit;
  }
}
