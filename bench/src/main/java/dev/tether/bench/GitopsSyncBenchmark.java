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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
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
 */
final class GitopsSyncBenchmark implements Benchmark {
  private static final int DOCS_PER_FILE = 100;

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
      server = new TetherServer(ServerSettings.local(workDir.resolve("server")).withPollInterval(Duration.ofMillis(200))).start();
      AdminClient api = new AdminClient(server.httpUrl(), Files.readString(server.adminTokenFile()).strip());
      GitRepository config = GitRepository.create(workDir.resolve("repos"), "config");
      config.write("README.md", "configs\n").commitAndPush("start");
      api.post("/api/v1/projects", Map.of("id", "bench/config", "url", config.bareDir().toString()));
      JsonNode created = api.post("/api/v1/agents", Map.of("name", "bench", "config_project", "bench/config"));
      Path token = workDir.resolve("bench.token");
      Files.writeString(token, created.get("secret").asText());

      TextTable table = new TextTable("objects", "kubectl apply --server-side", "Tether sync", "ratio",
          "push to applied", "kubectl re-apply (writes)", "Tether no-op resync (writes)");
      StringBuilder projects = new StringBuilder("gitops:\n  manifest_projects:\n");
      for (int n : sizes) {
        Path files = workDir.resolve("manifests-" + n);
        write(files, n);
        String kubectlNs = "kubectl-" + n;
        String tetherNs = "tether-" + n;
        for (String ns : List.of(kubectlNs, tetherNs)) {
          admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
        }

        long mark = audit.mark();
        long kubectlMs = timed(() -> plane.kubectl("apply", "--server-side", "-n", kubectlNs, "-R", "-f", files.toString())
            .timeout(Duration.ofMinutes(30)).run().orThrow());
        int kubectlWrites = audit.writesSince(mark, "kubectl/").size();
        mark = audit.mark();
        long kubectlAgainMs = timed(() -> plane.kubectl("apply", "--server-side", "-n", kubectlNs, "-R", "-f", files.toString())
            .timeout(Duration.ofMinutes(30)).run().orThrow());
        int kubectlAgainWrites = audit.writesSince(mark, "kubectl/").size();

        GitRepository repo = GitRepository.fromFolder(workDir.resolve("repos"), "manifests-" + n, files);
        String projectId = "bench/manifests-" + n;
        api.post("/api/v1/projects", Map.of("id", projectId, "url", repo.bareDir().toString()));
        projects.append("    - id: ").append(projectId).append("\n      default_namespace: ").append(tetherNs)
            .append("\n      resync_interval: 24h\n");
        mark = audit.mark();
        Instant pushed = Instant.now();
        config.write(".gitlab/agents/bench/config.yaml", projects.toString()).commitAndPush("sync " + n);
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

        table.add(String.valueOf(n), kubectlMs + " ms (" + kubectlWrites + " writes)", tetherMs + " ms (" + tetherWrites + " writes)",
            String.format("%.2f×", (double) tetherMs / kubectlMs), pushToApplied + " ms",
            kubectlAgainMs + " ms (" + kubectlAgainWrites + ")", resyncMs + " ms (" + resyncWrites + ")");
        System.out.printf("[gitops-sync] %d objects: kubectl %d ms, Tether %d ms (%d created), no-op resync %d ms with %d writes%n",
            n, kubectlMs, tetherMs, sync.count("created"), resyncMs, resyncWrites);
      }
      System.out.println();
      System.out.print(table.markdown());
      System.out.println("\nTether sync: the agent's sync (parse, apply, inventory), as kubectl's time is its own run;"
          + " push to applied adds polling (200 ms) and transfer. The ratio is Tether / kubectl.");
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
