package dev.tether.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.cli.admin.AdminClient;
import dev.tether.common.text.TextTable;
import dev.tether.server.ServerSettings;
import dev.tether.server.TetherServer;
import dev.tether.server.git.GitUrlPolicy;
import dev.tether.testkit.git.GitRepository;
import dev.tether.testkit.k8s.KubeBinaries;
import dev.tether.testkit.k8s.KubeControlPlane;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The agent program's memory as a cluster sees it: the resident set (RSS) of its own JVM process,
 * idle and while syncing a large manifest project and a set of large CRDs, and its heap after a full
 * GC, for the JVM settings the install manifests use and for the settings they used before. The
 * agent runs as a process of its own (the `tether agent` command), as in a pod; the server and the
 * control plane are those of the benchmark.
 */
final class AgentMemoryBenchmark implements Benchmark {
  private static final Duration SETTLE = Duration.ofSeconds(15);

  private KubeControlPlane plane;
  private KubernetesClient admin;
  private TetherServer server;
  private AdminClient api;
  private GitRepository config;

  @Override
  public String name() {
    return "agent-memory";
  }

  @Override
  public String description() {
    return "the agent process's RSS and heap after GC, idle and after syncing N objects (TETHER_BENCH_MEMORY_OBJECTS, default "
        + "5000) and 3 CRDs of 1 MiB, per JVM settings";
  }

  @Override
  public void run(Path workDir) throws Exception {
    int objects = Integer.parseInt(System.getenv().getOrDefault("TETHER_BENCH_MEMORY_OBJECTS", "5000"));
    plane = KubeControlPlane.start(KubeBinaries.locate(), workDir.resolve("control-plane"));
    try {
      admin = plane.newAdminClient("default");
      server = new TetherServer(ServerSettings.local(workDir.resolve("server")).withPollInterval(Duration.ofSeconds(1))
          .withGitUrls(GitUrlPolicy.of(List.of(), true))).start();
      api = new AdminClient(server.httpUrl(), Files.readString(server.adminTokenFile()).strip());
      config = GitRepository.create(workDir.resolve("repos"), "config");
      config.write("README.md", "configs\n").commitAndPush("start");
      api.post("/api/v1/projects", Map.of("id", "bench/config", "url", config.bareDir().toString()));
      JsonNode created = api.post("/api/v1/agents", Map.of("name", "mem", "config_project", "bench/config"));
      Path token = workDir.resolve("mem.token");
      Files.writeString(token, created.get("secret").asText());

      Path bulk = SyncManifests.folder(workDir, "bulk", objects);
      GitRepository bulkRepo = GitRepository.fromFolder(workDir.resolve("repos"), "bulk", bulk);
      api.post("/api/v1/projects", Map.of("id", "bench/bulk", "url", bulkRepo.bareDir().toString()));
      Path crds = workDir.resolve("crds");
      Files.createDirectories(crds);
      for (int c = 0; c < 3; c++) {
        Files.writeString(crds.resolve("crd-" + c + ".yaml"), RealApplication.crd("memory.bench.tether.dev", "Gadget" + c));
      }
      GitRepository crdRepo = GitRepository.fromFolder(workDir.resolve("repos"), "crds", crds);
      api.post("/api/v1/projects", Map.of("id", "bench/crds", "url", crdRepo.bareDir().toString()));

      TextTable table = new TextTable("JVM settings", "idle: RSS (heap after GC)", objects + " objects synced: peak RSS",
          "then: RSS (heap after GC)", "+ 3 CRDs of 1 MiB: peak RSS", "then: RSS (heap after GC)");
      int round = 0;
      for (AgentJvmVariants.Variant variant : AgentJvmVariants.selected()) {
        round++;
        String namespace = "mem-" + round;
        Figures.createNamespace(admin, namespace);
        configure("gitops:\n  manifest_projects: []\n");
        AgentProcess agent = AgentProcess.start(workDir.resolve("agent-" + round + ".log"), variant.jvmOptions(), variant.environment(),
            "127.0.0.1:" + server.agentAddress().getPort(), token, server.devCaFile().orElseThrow(), plane.kubeconfig());
        try {
          AgentProcess.await(() -> api.get("/api/v1/agents/mem").get("connected").asBoolean(), Duration.ofMinutes(2),
              "the agent to connect");
          Thread.sleep(SETTLE.toMillis());
          AgentProcess.Sample idle = agent.sample("idle");
          String bulkProject = "    - id: bench/bulk\n      default_namespace: " + namespace + "\n      inventory_id: bulk-" + round + "\n";
          String commit = configure("gitops:\n  manifest_projects:\n" + bulkProject);
          awaitSynced("bench/bulk", Duration.ofMinutes(20));
          AgentProcess.Sample bulkSynced = agent.sample("bulk");
          configure("gitops:\n  manifest_projects:\n" + bulkProject + "    - id: bench/crds\n      default_namespace: " + namespace
              + "\n      inventory_id: crds-" + round + "\n      inventory_policy: adopt_all\n");
          awaitSynced("bench/crds", Duration.ofMinutes(10));
          AgentProcess.Sample crdsSynced = agent.sample("crds");
          table.add(variant.name(), idle.rssKib() / 1024 + " MiB (" + idle.heapKib() / 1024 + " MiB)",
              bulkSynced.peakRssKib() / 1024 + " MiB", bulkSynced.rssKib() / 1024 + " MiB (" + bulkSynced.heapKib() / 1024 + " MiB)",
              crdsSynced.peakRssKib() / 1024 + " MiB", crdsSynced.rssKib() / 1024 + " MiB (" + crdsSynced.heapKib() / 1024 + " MiB)");
          System.out.printf("[agent-memory] %s: idle %d MiB, after %d objects %d MiB (peak %d), after CRDs %d MiB (peak %d); "
              + "config %s%n", variant.name(), idle.rssKib() / 1024, objects, bulkSynced.rssKib() / 1024, bulkSynced.peakRssKib() / 1024,
              crdsSynced.rssKib() / 1024, crdsSynced.peakRssKib() / 1024, commit.substring(0, 12));
        } finally {
          agent.stop();
        }
      }
      System.out.println();
      System.out.print(table.markdown());
      System.out.println("\nRSS is the agent process's resident set (VmRSS) and peak RSS its high-water mark (VmHWM), both "
          + "since the process started; heap is what is in use right after a full GC (jcmd GC.run, then jstat). Each "
          + "settings row is a new agent process on the same cluster, server and manifests.");
    } finally {
      if (server != null) {
        server.close();
      }
      if (admin != null) {
        admin.close();
      }
      plane.close();
      plane.deleteFilesKeepingLogs();
    }
  }

  private String configure(String yaml) {
    return config.write(".gitlab/agents/mem/config.yaml", yaml).commitAndPush("configure");
  }

  private void awaitSynced(String project, Duration limit) throws InterruptedException {
    AgentProcess.awaitSynced(api, "mem", project, Instant.now(), limit);
  }

}
