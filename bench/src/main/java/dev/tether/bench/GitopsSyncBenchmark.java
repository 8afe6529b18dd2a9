package dev.tether.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.agent.AgentSettings;
import dev.tether.agent.TetherAgent;
import dev.tether.agent.gitops.SyncOutcome;
import dev.tether.cli.admin.AdminClient;
import dev.tether.common.text.TextTable;
import dev.tether.server.ServerSettings;
import dev.tether.server.TetherServer;
import dev.tether.testkit.git.GitRepository;
import dev.tether.testkit.k8s.AuditLog;
import dev.tether.testkit.k8s.KubeBinaries;
import dev.tether.testkit.k8s.KubeControlPlane;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * GitOps sync against the reference users would otherwise run: N objects (half ConfigMaps, half
 * Deployments) applied by Tether, and by {@code kubectl apply --server-side} from the same files,
 * on the same API server in the same run; then the same again with nothing changed. Writes are
 * counted in the API server's audit log by user agent.
 *
 * <p>Server, agent, API server and etcd share this machine's cores, so whatever else the JVM does
 * while a sync runs is taken from the API server. Hence one unmeasured round first, and each
 * measured round starts once the JIT compiler is idle (see {@link JitCompiler}: during the first
 * syncs it compiles the hot path with most of a core), and pushes are announced by the push
 * webhook, as a Git host does, instead of a short poll interval that keeps the server fetching
 * every project.
 */
final class GitopsSyncBenchmark implements Benchmark {
  private static final int DOCS_PER_FILE = 100;
  private static final int WARM_UP_OBJECTS = 1000;
  private static final Duration JIT_IDLE_CAP = Duration.ofSeconds(60);

  private record Round(int objects, boolean measured) {}

  @Override
  public String name() {
    return "gitops-sync";
  }

  @Override
  public String description() {
    return "sync N ConfigMaps + Deployments vs kubectl apply --server-side, then a no-op resync (sizes: TETHER_BENCH_SIZES, default 100,1000,5000)";
  }

  @Override
  public void run(Path workDir) throws Exception {
    String configured = System.getenv().getOrDefault("TETHER_BENCH_SIZES", "100,1000,5000");
    List<Integer> sizes = Arrays.stream(configured.split(","))
        .map(String::trim).map(Integer::parseInt).toList();
    KubeControlPlane plane = KubeControlPlane.start(KubeBinaries.locate(), workDir.resolve("control-plane"));
    TetherServer server = null;
    TetherAgent agent = null;
    try (KubernetesClient admin = plane.newAdminClient("default")) {
      AuditLog audit = new AuditLog(plane);
      server = new TetherServer(ServerSettings.local(workDir.resolve("server")).withPollInterval(Duration.ofHours(1))).start();
      AdminClient api = new AdminClient(server.httpUrl(), Files.readString(server.adminTokenFile()).strip());
      GitRepository config = GitRepository.create(workDir.resolve("repos"), "config");
      config.write("README.md", "configs\n").commitAndPush("start");
      String configHook = api.post("/api/v1/projects", Map.of("id", "bench/config", "url", config.bareDir().toString()))
          .get("webhook_secret").asText();
      JsonNode created = api.post("/api/v1/agents", Map.of("name", "bench", "config_project", "bench/config"));
      Path token = workDir.resolve("bench.token");
      Files.writeString(token, created.get("secret").asText());

      TextTable table = new TextTable("objects", "kubectl apply --server-side", "Tether sync", "ratio",
          "push to applied", "kubectl re-apply (writes)", "Tether no-op resync (writes)");
      StringBuilder projects = new StringBuilder("gitops:\n  manifest_projects:\n");
      JitCompiler jit = new JitCompiler();
      List<Round> rounds = new ArrayList<>(List.of(new Round(WARM_UP_OBJECTS, false)));
      sizes.forEach(n -> rounds.add(new Round(n, true)));
      for (Round round : rounds) {
        boolean warmUp = !round.measured();
        int n = round.objects();
        String label = warmUp ? "warm-up-" + n : String.valueOf(n);
        Path files = workDir.resolve("manifests-" + label);
        write(files, n);
        String kubectlNs = "kubectl-" + label;
        String tetherNs = "tether-" + label;
        for (String ns : List.of(kubectlNs, tetherNs)) {
          admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
        }

        if (!warmUp && !jit.awaitIdle(JIT_IDLE_CAP)) {
          System.out.printf("[gitops-sync] the JIT compiler was still busy after %d s; measuring anyway%n", JIT_IDLE_CAP.toSeconds());
        }
        long mark = audit.mark();
        long kubectlMs = timed(() -> plane.kubectl("apply", "--server-side", "-n", kubectlNs, "-R", "-f", files.toString())
            .timeout(Duration.ofMinutes(30)).run().orThrow());
        int kubectlWrites = audit.writesSince(mark, "kubectl/").size();
        mark = audit.mark();
        long kubectlAgainMs = timed(() -> plane.kubectl("apply", "--server-side", "-n", kubectlNs, "-R", "-f", files.toString())
            .timeout(Duration.ofMinutes(30)).run().orThrow());
        int kubectlAgainWrites = audit.writesSince(mark, "kubectl/").size();

        GitRepository repo = GitRepository.fromFolder(workDir.resolve("repos"), "manifests-" + label, files);
        String projectId = "bench/manifests-" + label;
        api.post("/api/v1/projects", Map.of("id", projectId, "url", repo.bareDir().toString()));
        projects.append("    - id: ").append(projectId).append("\n      default_namespace: ").append(tetherNs)
            .append("\n      resync_interval: 24h\n");
        mark = audit.mark();
        Instant pushed = Instant.now();
        config.write(".gitlab/agents/bench/config.yaml", projects.toString()).commitAndPush("sync " + label);
        announcePush(server, configHook);
        if (agent == null) {
          agent = new TetherAgent(new AgentSettings("127.0.0.1:" + server.agentAddress().getPort(), token,
              server.devCaFile(), Optional.of(plane.kubeconfig()), AgentSettings.DEFAULT_HEARTBEAT, Optional.empty(), false)).start();
        }
        TetherAgent running = agent;
        SyncOutcome sync = await(() -> running.gitops().outcome(projectId).filter(o -> !o.phase().equals("syncing")));
        if (!sync.phase().equals("synced")) {
          throw new IllegalStateException("Tether failed to sync " + n + " objects: " + sync.message());
        }
        long pushToApplied = Duration.between(pushed, sync.finished()).toMillis();
        long tetherMs = Duration.between(sync.started(), sync.finished()).toMillis();
        int tetherWrites = audit.writesSince(mark, "tether-agent/").size();

        mark = audit.mark();
        SyncOutcome resync = agent.gitops().resyncNow(projectId).get(30, TimeUnit.MINUTES);
        long resyncMs = Duration.between(resync.started(), resync.finished()).toMillis();
        int resyncWrites = audit.writesSince(mark, "tether-agent/").size();

        if (warmUp) {
          System.out.printf("[gitops-sync] warm-up round of %d objects done (not measured)%n", n);
          continue;
        }
        table.add(String.valueOf(n), kubectlMs + " ms (" + kubectlWrites + " writes)", tetherMs + " ms (" + tetherWrites + " writes)",
            String.format("%.2f×", (double) tetherMs / kubectlMs), pushToApplied + " ms",
            kubectlAgainMs + " ms (" + kubectlAgainWrites + ")", resyncMs + " ms (" + resyncWrites + ")");
        System.out.printf("[gitops-sync] %d objects: kubectl %d ms, Tether %d ms (%d created), no-op resync %d ms with %d writes%n",
            n, kubectlMs, tetherMs, sync.count("created"), resyncMs, resyncWrites);
      }
      System.out.println();
      System.out.print(table.markdown());
      System.out.println("\nTether sync: the agent's sync (parse, apply, inventory), as kubectl's time is its own run;"
          + " push to applied adds the push webhook, fetch and transfer. The ratio is Tether / kubectl. One round of "
          + WARM_UP_OBJECTS + " objects ran first, not measured. Server, agent, API server and etcd share this machine's "
          + Runtime.getRuntime().availableProcessors() + " cores.");
    } finally {
      if (agent != null) {
        agent.close();
      }
      if (server != null) {
        server.close();
      }
      plane.close();
      // The API server's logs (audit log included) stay for a closer look at what happened.
      plane.deleteFilesKeepingLogs();
    }
  }

  /** What a Git host does on push: the GitLab-style push webhook, so the server fetches at once. */
  private static void announcePush(TetherServer server, String secret) throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create(server.httpUrl() + "/api/v1/projects/bench/config/hooks/push"))
        .header("X-Gitlab-Event", "Push Hook").header("X-Gitlab-Token", secret)
        .POST(HttpRequest.BodyPublishers.ofString("{\"ref\":\"refs/heads/main\"}")).build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 202) {
      throw new IllegalStateException("the push webhook answered " + response.statusCode() + ": " + response.body());
    }
  }

  private static void write(Path dir, int n) throws Exception {
    Files.createDirectories(dir);
    StringBuilder docs = new StringBuilder();
    int file = 0;
    for (int i = 0; i < n; i++) {
      docs.append("---\n");
      if (i % 2 == 0) {
        docs.append("""
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: settings-%1$d
              labels: {app: bench}
            data:
              index: "%1$d"
              color: blue
            """.formatted(i));
      } else {
        docs.append("""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web-%1$d
              labels: {app: bench}
            spec:
              replicas: 1
              selector: {matchLabels: {app: web-%1$d}}
              template:
                metadata: {labels: {app: web-%1$d}}
                spec:
                  containers:
                    - name: web
                      image: registry.example.com/web:1.%1$d
                      ports: [{containerPort: 8080}]
                      resources: {requests: {cpu: 100m, memory: 64Mi}}
            """.formatted(i));
      }
      if ((i + 1) % DOCS_PER_FILE == 0 || i == n - 1) {
        Files.writeString(dir.resolve(String.format("objects-%03d.yaml", file++)), docs.toString());
        docs.setLength(0);
      }
    }
  }

  private static long timed(Runnable work) {
    long start = System.nanoTime();
    work.run();
    return (System.nanoTime() - start) / 1_000_000;
  }

  private static SyncOutcome await(java.util.function.Supplier<Optional<SyncOutcome>> outcome) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
    while (System.nanoTime() < deadline) {
      Optional<SyncOutcome> o = outcome.get();
      if (o.isPresent()) {
        return o.get();
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException("no sync within 30 minutes");
  }
}
