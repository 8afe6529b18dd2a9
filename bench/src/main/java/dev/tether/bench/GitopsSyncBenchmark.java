package dev.tether.bench;

import dev.tether.common.text.TextTable;
import dev.tether.testkit.k8s.AuditLog;
import dev.tether.testkit.k8s.KubeBinaries;
import dev.tether.testkit.k8s.KubeControlPlane;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * GitOps sync against what users would otherwise run: N objects (half ConfigMaps, half
 * Deployments) applied by {@code kubectl apply --server-side}, by the GitLab agent's engine
 * (cli-utils) and Flux's (fluxcd/pkg/ssa), each with its controller's client rate limit and
 * without, and by Tether; taking turns on the same API server, each into a namespace of its own so
 * that every run creates the same objects; then each again with nothing changed. Requests are
 * counted in the API server's audit log by user agent.
 *
 * <p>Server, agent, API server and etcd share this machine's cores, so whatever else the JVM does
 * while a sync runs is taken from the API server. Hence unmeasured rounds first, until the JIT
 * compiler takes little of a sync (during the first syncs it compiles the hot path with most of a
 * core), each of Tether's measured rounds starts once the compiler is idle (see {@link JitCompiler}),
 * and pushes are announced by the push webhook, as a Git host does, instead of a short poll interval
 * that keeps the server fetching every project. The control plane's CPU time during each first
 * sync gives that run's floor: how fast any client could have been on this machine.
 */
final class GitopsSyncBenchmark implements Benchmark {
  private static final int WARM_UP_OBJECTS = 1000;
  /** Warm-up rounds stop once the JIT compiler took less than this share of a round's sync. */
  private static final double STEADY_JIT_SHARE = 0.1;
  /** On two cores the compiler still took most of the fourth sync, and a fifth to a third of the twelfth. */
  private static final int MAX_WARM_UPS = 12;
  private static final Duration JIT_IDLE_CAP = Duration.ofSeconds(60);
  /** At 5 QPS cli-utils needs about 0.4 s an object (a GET and an apply each): 5000 would take over half an hour. */
  private static final int DEFAULT_THROTTLED_MAX = 1000;
  /** The memory limit the install manifests give the agent's container: its JVM sizes its heap from it. */
  private static final String AGENT_POD_LIMIT = "512m";

  private final JitCompiler jit = new JitCompiler();
  private KubernetesClient admin;

  @Override
  public String name() {
    return "gitops-sync";
  }

  @Override
  public String description() {
    return "sync N ConfigMaps + Deployments: kubectl apply --server-side, cli-utils, fluxcd/pkg/ssa and Tether, then a no-op"
        + " resync (sizes: TETHER_BENCH_SIZES, default 100,1000,5000; rate-limited peers up to TETHER_BENCH_THROTTLED_MAX, default "
        + DEFAULT_THROTTLED_MAX + "; warm-up rounds at most TETHER_BENCH_WARM_UPS, default " + MAX_WARM_UPS + ")";
  }

  @Override
  public void run(Path workDir) throws Exception {
    List<Integer> sizes = integers(System.getenv().getOrDefault("TETHER_BENCH_SIZES", "100,1000,5000"));
    int throttledMax = Integer.parseInt(System.getenv().getOrDefault("TETHER_BENCH_THROTTLED_MAX", String.valueOf(DEFAULT_THROTTLED_MAX)));
    // Fewer warm-ups make a quick check that everything runs, not figures to quote.
    int maxWarmUps = Integer.parseInt(System.getenv().getOrDefault("TETHER_BENCH_WARM_UPS", String.valueOf(MAX_WARM_UPS)));
    int cores = Runtime.getRuntime().availableProcessors();
    KubeControlPlane plane = KubeControlPlane.start(KubeBinaries.locate(), workDir.resolve("control-plane"));
    AuditLog audit = new AuditLog(plane);
    try (TetherSync tether = new TetherSync(plane, audit, jit, workDir)) {
      admin = plane.newAdminClient("default");
      KubectlSync kubectl = new KubectlSync(plane, audit);
      Optional<PeerEngineSync> peers = PeerEngineSync.locate(plane, audit, workDir.resolve("peers"));
      if (peers.isEmpty()) {
        System.out.println("[gitops-sync] the peer engines are not built (bench/reference/build.sh; tools/bench.sh runs it): "
            + PeerEngineSync.DIR_VARIABLE + " is unset or lacks them; measuring kubectl and Tether only");
      }

      boolean realApplication = !"false".equals(System.getenv("TETHER_BENCH_REAL_APPLICATION"));
      RealApplicationRows real = new RealApplicationRows(admin, workDir, kubectl, peers, tether, cores);
      if (realApplication) {
        real.cold();
      }

      // Tether alone first, until the JIT compiler has compiled the sync's hot path, as in an agent that has run a while.
      List<String> warmUps = new ArrayList<>();
      for (int i = 1; i <= maxWarmUps; i++) {
        String label = "warm-up-" + i;
        TetherSync.Run run = tether.run(label, SyncManifests.folder(workDir, label, WARM_UP_OBJECTS), namespace("tether-" + label));
        warmUps.add(run.sync().ms() + " ms (JIT " + run.jitMs() + " ms)");
        System.out.printf("[gitops-sync] warm-up %d: Tether synced %d objects in %d ms, the JIT compiler meanwhile %d ms%n",
            i, WARM_UP_OBJECTS, run.sync().ms(), run.jitMs());
        if (run.jitMs() < run.sync().ms() * STEADY_JIT_SHARE) {
          break;
        }
      }

      TextTable table = new TextTable("objects", "engine", "first sync", "× kubectl", "× floor", "requests",
          "no-op resync", "resync requests");
      TextTable tetherTable = new TextTable("objects", "push to applied", "control plane CPU, kubectl",
          "control plane CPU, Tether", "Tether JVM CPU (JIT compiler)", "floor", "Tether × floor",
          "agent process: peak RSS (heap after GC)");
      for (int n : sizes) {
        Path files = SyncManifests.folder(workDir, String.valueOf(n), n);
        List<SyncRun> runs = new ArrayList<>();
        awaitJitIdle();
        SyncRun reference = kubectl.run(files, namespace("kubectl-" + n));
        runs.add(reference);
        if (peers.isPresent()) {
          for (PeerEngine engine : PeerEngine.values()) {
            for (PeerEngine.Throttle throttle : PeerEngine.Throttle.values()) {
              if (throttle == PeerEngine.Throttle.CONTROLLER_DEFAULT && n > throttledMax) {
                table.add(String.valueOf(n), engine.label(throttle), "not run (over TETHER_BENCH_THROTTLED_MAX=" + throttledMax + ")",
                    "", "", "", "", "");
                continue;
              }
              String ns = namespace(engine.program() + "-" + throttle.name().toLowerCase().replace('_', '-') + "-" + n);
              SyncRun run = peers.get().run(engine, throttle, files, ns);
              runs.add(run);
              System.out.printf("[gitops-sync] %d objects: %s %d ms, no-op resync %d ms%n", n, run.engine(), run.ms(), run.resyncMs());
            }
          }
        }
        awaitJitIdle();
        TetherSync.Run tetherRun = tether.run(String.valueOf(n), files, namespace("tether-" + n));
        runs.add(tetherRun.sync());
        for (SyncRun run : runs) {
          table.add(String.valueOf(n), run.engine(), run.ms() + " ms", Figures.ratio(run.ms(), reference.ms()),
              Figures.ratio(run.ms(), run.floorMs(cores)), run.requests().toString(), run.resyncMs() + " ms",
              run.resyncRequests().toString());
        }
        SyncRun t = tetherRun.sync();
        AgentProcess.Sample memory = tether.memoryOf(String.valueOf(n), namespace("rss-" + n), AGENT_POD_LIMIT);
        tetherTable.add(String.valueOf(n), tetherRun.pushToAppliedMs() + " ms", reference.planeCpu().toMillis() + " ms",
            t.planeCpu().toMillis() + " ms", tetherRun.jvmCpu().toMillis() + " ms (" + tetherRun.jitMs() + " ms)",
            t.floorMs(cores) + " ms", Figures.ratio(t.ms(), t.floorMs(cores)), memory.peakAndHeap());
        System.out.printf("[gitops-sync] %d objects: kubectl %d ms, Tether %d ms, no-op resync %d ms with %d writes; "
            + "an agent process syncing them peaked at %d MiB RSS%n",
            n, reference.ms(), t.ms(), t.resyncMs(), t.resyncRequests().writes(), memory.peakRssKib() / 1024);
      }
      if (realApplication) {
        real.warm(this::awaitJitIdle);
        real.addTo(table);
      }
      printTables(table, tetherTable, warmUps, cores);
    } finally {
      if (admin != null) {
        admin.close();
      }
      plane.close();
      // The API server's logs (audit log included) stay for a closer look at what happened.
      plane.deleteFilesKeepingLogs();
    }
  }

  private static void printTables(TextTable table, TextTable tetherTable, List<String> warmUps, int cores) {
    System.out.println();
    System.out.print(table.markdown());
    System.out.println("\nEach engine in turn applies the same objects into an empty namespace of its own (first sync), then"
        + " the same again (no-op resync). Times are each engine's own: kubectl's run; the peers' sync from reading the files"
        + " to the end of the run (their processes start and discover the API server's kinds before, untimed, as in a"
        + " controller that has run a while); Tether's agent sync (parse, apply, inventory). Requests from the API server's"
        + " audit log by user agent: writes that persist (w), server-side dry runs (dry), reads (r). The floor is the"
        + " control plane's CPU time during that first sync spread over this machine's " + cores + " cores: with every core"
        + " busy on the control plane and none on the client, no client could have made those requests faster. The"
        + " GitLab agent's client has client-go's default limit (5 QPS, burst 10); Flux's kustomize-controller defaults to"
        + " 50 QPS, burst 300, and runs unthrottled on an API server with API Priority and Fairness, as this one. cli-utils"
        + " always waits for applied objects to become Current, which Deployments never do without nodes: its reference"
        + " waits 1 ms (the status watcher still starts), so its time ends after prune and the inventory's last write.");
    System.out.println();
    System.out.print(tetherTable.markdown());
    System.out.println("\nPush to applied adds the push webhook, fetch and transfer to Tether's sync. CPU time of etcd,"
        + " kube-apiserver and kube-controller-manager together during kubectl's run and, for Tether, from push to applied;"
        + " and of this JVM (server and agent; in brackets the JIT compiler's time). Before them Tether synced "
        + WARM_UP_OBJECTS + " objects " + warmUps.size() + " time(s), not measured, until the JIT compiler took less than "
        + Math.round(STEADY_JIT_SHARE * 100) + "% of a sync's time: " + String.join(", ", warmUps)
        + "; the first is an agent's first sync after it starts. The agent's memory is that of an agent process of its own"
        + " (the install manifests' JVM options, seeing a " + AGENT_POD_LIMIT + " limit), started after Tether's run to sync"
        + " the same objects into another namespace: its peak resident set (VmHWM) over that sync, and in brackets its heap"
        + " in use right after a full GC once synced.");
  }

  private void awaitJitIdle() throws InterruptedException {
    jit.awaitIdleBeforeMeasuring(name(), JIT_IDLE_CAP);
  }

  private String namespace(String name) {
    return Figures.createNamespace(admin, name);
  }

  private static List<Integer> integers(String list) {
    return Arrays.stream(list.split(",")).map(String::trim).map(Integer::parseInt).toList();
  }
}
