package dev.tether.bench;

import dev.tether.common.text.TextTable;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * gitops-sync's "real application" rows ({@link RealApplication}): three CRDs over 1 MB each and 56
 * microservice objects, without and with custom resources of those CRDs. Every engine gets its own
 * copy (its own namespace and API group, so no engine meets another's CRDs) and syncs it into a
 * cluster where none of it exists. The cold row is Tether's first sync after its agent starts,
 * measured before any warm-up; the warm rows come after the sized rows, as in an agent that has run
 * a while.
 */
final class RealApplicationRows {
  private final KubernetesClient admin;
  private final Path workDir;
  private final KubectlSync kubectl;
  private final Optional<PeerEngineSync> peers;
  private final TetherSync tether;
  private final int cores;
  private final List<String[]> rows = new ArrayList<>();

  /** Waits until the JIT compiler is idle, so that a measured sync does not share the cores with it. */
  interface Pause {
    void await() throws InterruptedException;
  }

  RealApplicationRows(KubernetesClient admin, Path workDir, KubectlSync kubectl, Optional<PeerEngineSync> peers, TetherSync tether,
      int cores) {
    this.admin = admin;
    this.workDir = workDir;
    this.kubectl = kubectl;
    this.peers = peers;
    this.tether = tether;
    this.cores = cores;
  }

  /** Tether's first sync after the agent starts, beside kubectl on the same set: call before anything else starts the agent. */
  void cold() throws Exception {
    SyncRun reference = kubectl.run(copy("cold-kubectl", false), "real-cold-kubectl");
    SyncRun first = tether.run("real-cold", copy("cold-tether", false), "real-cold-tether").sync();
    add("real app, cold (first sync after the agent starts)", reference, List.of(reference, first));
  }

  /** The warm rows, without and with custom resources, every engine in turn. */
  void warm(Pause awaitJitIdle) throws Exception {
    for (boolean withResources : List.of(false, true)) {
      String variant = withResources ? "cr" : "crds";
      String label = withResources ? "real app + custom resources, warm" : "real app (CRDs, no custom resources), warm";
      awaitJitIdle.await();
      SyncRun reference = kubectl.run(copy("kubectl-" + variant, withResources), "real-kubectl-" + variant);
      List<SyncRun> runs = new ArrayList<>(List.of(reference));
      if (peers.isPresent()) {
        for (PeerEngine engine : PeerEngine.values()) {
          String name = engine.program() + "-" + variant;
          runs.add(peers.get().run(engine, PeerEngine.Throttle.UNTHROTTLED, copy(name, withResources), "real-" + name));
        }
      }
      awaitJitIdle.await();
      runs.add(tether.run("real-" + variant, copy("tether-" + variant, withResources), "real-tether-" + variant).sync());
      add(label, reference, runs);
    }
  }

  /** Adds the rows to the benchmark's table. */
  void addTo(TextTable table) {
    rows.forEach(table::add);
  }

  private void add(String label, SyncRun reference, List<SyncRun> runs) {
    for (SyncRun run : runs) {
      rows.add(new String[] {label, run.engine(), run.ms() + " ms", Figures.ratio(run.ms(), reference.ms()),
          Figures.ratio(run.ms(), run.floorMs(cores)), run.requests().toString(), run.resyncMs() + " ms", run.resyncRequests().toString()});
      System.out.printf("[gitops-sync] %s: %s %d ms, no-op resync %d ms%n", label, run.engine(), run.ms(), run.resyncMs());
    }
  }

  /** The set for one engine: in its own namespace (created here) and API group. */
  private Path copy(String name, boolean withResources) throws Exception {
    String namespace = "real-" + name;
    Figures.createNamespace(admin, namespace);
    Path dir = workDir.resolve("real-" + name);
    RealApplication.write(dir, namespace, name.replace('_', '-') + ".bench.tether.dev", withResources);
    return dir;
  }
}
