package dev.tether.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.agent.AgentSettings;
import dev.tether.agent.TetherAgent;
import dev.tether.agent.gitops.SyncOutcome;
import dev.tether.cli.admin.AdminClient;
import dev.tether.common.text.TextTable;
import dev.tether.server.ServerSettings;
import dev.tether.server.git.GitUrlPolicy;
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
 * while a sync runs is taken from the API server. Hence unmeasured rounds first, until the JIT
 * compiler takes little of a sync (during the first syncs it compiles the hot path with most of a
 * core), each measured round starts once the compiler is idle (see {@link JitCompiler}), and pushes
 * are announced by the push webhook, as a Git host does, instead of a short poll interval that
 * keeps the server fetching every project. The CPU time of the control plane and of this JVM is
 * printed too: it shows how fast any client could be on this machine.
 */
final class GitopsSyncBenchmark implements Benchmark {
  private static final int DOCS_PER_FILE = 100;
  private static final int WARM_UP_OBJECTS = 1000;
  /** Warm-up rounds stop once the JIT compiler took less than this share of a round's sync. */
  private static final double STEADY_JIT_SHARE = 0.1;
  /** On two cores the compiler still took most of the fourth sync, and a fifth to a third of the twelfth. */
  private static final int MAX_WARM_UPS = 12;
  private static final Duration JIT_IDLE_CAP = Duration.ofSeconds(60);

  private record KubectlRun(long ms, int writes, Duration planeCpu, long againMs, int againWrites) {}

  private record TetherRun(long ms, long pushToAppliedMs, int writes, Duration planeCpu, Duration jvmCpu, long jitMs,
      long resyncMs, int resyncWrites) {}

  private final JitCompiler jit = new JitCompiler();
  private final StringBuilder projects = new StringBuilder("gitops:\n  manifest_projects:\n");
  private KubeControlPlane plane;
  private AuditLog audit;
  private KubernetesClient admin;
  private TetherServer server;
  private TetherAgent agent;
  private AdminClient api;
  private GitRepository config;
  private String configHook;
  private Path token;

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
    plane = KubeControlPlane.start(KubeBinaries.locate(), workDir.resolve("control-plane"));
    try {
      admin = plane.newAdminClient("default");
      audit = new AuditLog(plane);
      server = new TetherServer(ServerSettings.local(workDir.resolve("server")).withPollInterval(Duration.ofHours(1))
          .withGitUrls(GitUrlPolicy.of(List.of(), true))).start();
      api = new AdminClient(server.httpUrl(), Files.readString(server.adminTokenFile()).strip());
      config = GitRepository.create(workDir.resolve("repos"), "config");
      config.write("README.md", "configs\n").commitAndPush("start");
      configHook = api.post("/api/v1/projects", Map.of("id", "bench/config", "url", config.bareDir().toString()))
          .get("webhook_secret").asText();
      JsonNode created = api.post("/api/v1/agents", Map.of("name", "bench", "config_project", "bench/config"));
      token = workDir.resolve("bench.token");
      Files.writeString(token, created.get("secret").asText());

      // Tether alone first, until the JIT compiler has compiled the sync's hot path, as in an agent that has run a while.
      List<String> warmUps = new ArrayList<>();
      for (int i = 1; i <= MAX_WARM_UPS; i++) {
        TetherRun run = tether(workDir, "warm-up-" + i, WARM_UP_OBJECTS);
        warmUps.add(run.ms() + " ms (JIT " + run.jitMs() + " ms)");
        System.out.printf("[gitops-sync] warm-up %d: Tether synced %d objects in %d ms, the JIT compiler meanwhile %d ms%n",
            i, WARM_UP_OBJECTS, run.ms(), run.jitMs());
        if (run.jitMs() < run.ms() * STEADY_JIT_SHARE) {
          break;
        }
      }

      TextTable table = new TextTable("objects", "kubectl apply --server-side", "Tether sync", "ratio",
          "push to applied", "kubectl re-apply (writes)", "Tether no-op resync (writes)");
      TextTable cpu = new TextTable("objects", "control plane CPU, kubectl apply", "control plane CPU, Tether sync",
          "Tether JVM CPU (JIT compiler)", "floor: control plane CPU / cores", "floor ratio");
      int cores = Runtime.getRuntime().availableProcessors();
      for (int n : sizes) {
        Path files = manifests(workDir, String.valueOf(n), n);
        if (!jit.awaitIdle(JIT_IDLE_CAP)) {
          System.out.printf("[gitops-sync] the JIT compiler was still busy after %d s; measuring anyway%n", JIT_IDLE_CAP.toSeconds());
        }
        KubectlRun kubectl = kubectl(files, "kubectl-" + n);
        TetherRun tether = tether(workDir, String.valueOf(n), n);
        table.add(String.valueOf(n), kubectl.ms() + " ms (" + kubectl.writes() + " writes)",
            tether.ms() + " ms (" + tether.writes() + " writes)", String.format("%.2f×", (double) tether.ms() / kubectl.ms()),
            tether.pushToAppliedMs() + " ms", kubectl.againMs() + " ms (" + kubectl.againWrites() + ")",
            tether.resyncMs() + " ms (" + tether.resyncWrites() + ")");
        long floorMs = tether.planeCpu().toMillis() / cores;
        cpu.add(String.valueOf(n), kubectl.planeCpu().toMillis() + " ms", tether.planeCpu().toMillis() + " ms",
            tether.jvmCpu().toMillis() + " ms (" + tether.jitMs() + " ms)", floorMs + " ms",
            String.format("%.2f×", (double) floorMs / kubectl.ms()));
        System.out.printf("[gitops-sync] %d objects: kubectl %d ms, Tether %d ms, no-op resync %d ms with %d writes%n",
            n, kubectl.ms(), tether.ms(), tether.resyncMs(), tether.resyncWrites());
      }
      System.out.println();
      System.out.print(table.markdown());
      System.out.println("\nTether sync: the agent's sync (parse, apply, inventory), as kubectl's time is its own run;"
          + " push to applied adds the push webhook, fetch and transfer. The ratio is Tether / kubectl. Before them Tether"
          + " synced " + WARM_UP_OBJECTS + " objects " + warmUps.size() + " time(s), not measured, until the JIT compiler"
          + " took less than " + Math.round(STEADY_JIT_SHARE * 100) + "% of a sync's time: " + String.join(", ", warmUps)
          + "; the first is an agent's first sync after it starts. Server, agent, API server and etcd share this machine's "
          + cores + " cores.");
      System.out.println();
      System.out.print(cpu.markdown());
      System.out.println("\nCPU time used by etcd, kube-apiserver and kube-controller-manager together during kubectl's run and,"
          + " for Tether, from push to applied; and by this JVM (server and agent; in brackets the JIT compiler's time). The"
          + " floor is the control plane's CPU time for Tether's writes spread over this machine's " + cores + " cores: with every"
          + " core busy on the control plane and none on the client, no client could sync faster. The floor ratio is that floor"
          + " / kubectl's time.");
    } finally {
      if (agent != null) {
        agent.close();
      }
      if (server != null) {
        server.close();
      }
      if (admin != null) {
        admin.close();
      }
      plane.close();
      // The API server's logs (audit log included) stay for a closer look at what happened.
      plane.deleteFilesKeepingLogs();
    }
  }

  /** kubectl apply --server-side of the files into a new namespace, then the same again with nothing changed. */
  private KubectlRun kubectl(Path files, String namespace) {
    createNamespace(namespace);
    long mark = audit.mark();
    Duration planeBefore = plane.cpuTime();
    long ms = timed(() -> plane.kubectl("apply", "--server-side", "-n", namespace, "-R", "-f", files.toString())
        .timeout(Duration.ofMinutes(30)).run().orThrow());
    int writes = audit.writesSince(mark, "kubectl/").size();
    Duration planeCpu = plane.cpuTime().minus(planeBefore);
    mark = audit.mark();
    long againMs = timed(() -> plane.kubectl("apply", "--server-side", "-n", namespace, "-R", "-f", files.toString())
        .timeout(Duration.ofMinutes(30)).run().orThrow());
    return new KubectlRun(ms, writes, planeCpu, againMs, audit.writesSince(mark, "kubectl/").size());
  }

  /** A new manifest project of n objects added to the agent's configuration and pushed; then a no-op resync of it. */
  private TetherRun tether(Path workDir, String label, int n) throws Exception {
    Path files = manifests(workDir, label, n);
    String namespace = "tether-" + label;
    createNamespace(namespace);
    GitRepository repo = GitRepository.fromFolder(workDir.resolve("repos"), "manifests-" + label, files);
    String projectId = "bench/manifests-" + label;
    api.post("/api/v1/projects", Map.of("id", projectId, "url", repo.bareDir().toString()));
    projects.append("    - id: ").append(projectId).append("\n      default_namespace: ").append(namespace)
        .append("\n      resync_interval: 24h\n");
    long mark = audit.mark();
    Duration planeBefore = plane.cpuTime();
    Duration jvmBefore = ProcessCpu.used();
    long jitBefore = jit.totalMillis();
    Instant pushed = Instant.now();
    config.write(".gitlab/agents/bench/config.yaml", projects.toString()).commitAndPush("sync " + label);
    announcePush(server, configHook);
    if (agent == null) {
      agent = new TetherAgent(new AgentSettings("127.0.0.1:" + server.agentAddress().getPort(), token,
          server.devCaFile(), Optional.of(plane.kubeconfig()), AgentSettings.DEFAULT_HEARTBEAT, Optional.empty(), false)).start();
    }
    TetherAgent running = agent;
    SyncOutcome sync = await(() -> running.gitops().outcome(projectId).filter(o -> o.phase() != dev.tether.agent.gitops.Phase.SYNCING));
    if (sync.phase() != dev.tether.agent.gitops.Phase.SYNCED) {
      throw new IllegalStateException("Tether failed to sync " + n + " objects: " + sync.message());
    }
    Duration planeCpu = plane.cpuTime().minus(planeBefore);
    Duration jvmCpu = ProcessCpu.used().minus(jvmBefore);
    long jitMs = jit.totalMillis() - jitBefore;
    int writes = audit.writesSince(mark, "tether-agent/").size();

    mark = audit.mark();
    SyncOutcome resync = agent.gitops().resyncNow(projectId).get(30, TimeUnit.MINUTES);
    return new TetherRun(Duration.between(sync.started(), sync.finished()).toMillis(),
        Duration.between(pushed, sync.finished()).toMillis(), writes, planeCpu, jvmCpu, jitMs,
        Duration.between(resync.started(), resync.finished()).toMillis(), audit.writesSince(mark, "tether-agent/").size());
  }

  private void createNamespace(String name) {
    admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
  }

  private static Path manifests(Path workDir, String label, int n) throws Exception {
    Path files = workDir.resolve("manifests-" + label);
    if (!Files.isDirectory(files)) {
      write(files, n);
    }
    return files;
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
