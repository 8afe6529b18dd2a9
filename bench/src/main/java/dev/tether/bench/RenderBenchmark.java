package dev.tether.bench;

import dev.tether.common.text.TextTable;
import dev.tether.testkit.k8s.AuditLog;
import dev.tether.testkit.k8s.KubeBinaries;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.metrics.PrometheusText;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Sources the server renders: a Helm chart of many templates and a Kustomize overlay of many
 * objects (see {@link GeneratedChart} and {@link GeneratedOverlay}), each synced by Tether from a Git
 * project, and by the pipeline a CI job runs instead ({@code helm template … | kubectl apply
 * --server-side -f -}, {@code kustomize build … | kubectl apply --server-side -f -}) with the real
 * programs, on the same API server, each into an empty namespace of its own. For Tether: push to
 * applied of the first sync and of a commit that changes nothing the source reads (it must write
 * nothing), and the server's render times, cold and from its cache, read from its own metric
 * {@code tether_render_duration_seconds}.
 */
final class RenderBenchmark implements Benchmark {
  private static final String NAME = "render";
  private static final int DEFAULT_TEMPLATES = 200;
  private static final int DEFAULT_OBJECTS = 1000;
  private static final int DEFAULT_WARM_UPS = 3;
  private static final Duration JIT_IDLE_CAP = Duration.ofSeconds(60);
  /** Targets of issue 15: a first sync within half the pipeline's time; an unchanged render within 0.3× and no write. */
  private static final double FIRST_SYNC_TARGET = 0.5;
  private static final double UNCHANGED_TARGET = 0.3;

  /**
   * One source: what it is, its project folder, the keys of its entry in the agent's configuration,
   * and the pipeline's render command for a namespace (run in the folder).
   */
  private record Source(String label, String kind, Path folder, int objects, String entryKeys, UnaryOperator<String> render) {}

  /** One source's measured round. */
  private record Row(Source source, SyncRun pipeline, long renderOnlyMs, TetherSync.Run first, ServerTimes coldRender,
      ServerTimes firstFetches, TetherSync.Pushed unchanged, ServerTimes cachedRender, ServerTimes unchangedFetches) {}

  private final JitCompiler jit = new JitCompiler();

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "a Helm chart of TETHER_BENCH_CHART_TEMPLATES templates (default " + DEFAULT_TEMPLATES + ") and a Kustomize overlay of"
        + " TETHER_BENCH_OVERLAY_OBJECTS objects (default " + DEFAULT_OBJECTS + ") rendered by the server and synced, beside"
        + " `helm template | kubectl apply --server-side` and `kustomize build | kubectl apply --server-side`; render times cold and"
        + " cached; a commit that changes nothing the source reads (warm-up rounds TETHER_BENCH_WARM_UPS, default "
        + DEFAULT_WARM_UPS + ")";
  }

  @Override
  public void run(Path workDir) throws Exception {
    int templates = Figures.setting("TETHER_BENCH_CHART_TEMPLATES", DEFAULT_TEMPLATES);
    int objects = Figures.setting("TETHER_BENCH_OVERLAY_OBJECTS", DEFAULT_OBJECTS);
    int warmUps = Figures.setting("TETHER_BENCH_WARM_UPS", DEFAULT_WARM_UPS);
    Path helm = helmProgram();
    KubeControlPlane plane = KubeControlPlane.start(KubeBinaries.locate(), workDir.resolve("control-plane"));
    AuditLog audit = new AuditLog(plane);
    try (TetherSync tether = new TetherSync(plane, audit, jit, workDir); KubernetesClient admin = plane.newAdminClient("default")) {
      KubectlSync kubectl = new KubectlSync(plane, audit);
      Path helmHome = Files.createDirectories(workDir.resolve("helm-home"));
      List<Source> sources = List.of(chart(workDir, templates, helm, helmHome), overlay(workDir, objects, plane.binaries().kustomize()));

      // Tether alone first, as a server and agent that have run a while; the first round is also what a fresh start costs.
      List<String> firstRound = new ArrayList<>();
      for (int i = 1; i <= warmUps; i++) {
        for (Source source : sources) {
          String label = source.kind() + "-warm-up-" + i;
          PrometheusText before = tether.metrics();
          TetherSync.Run run = tether.run(label, source.folder(), Figures.createNamespace(admin, label), source.entryKeys());
          ServerTimes render = ServerTimes.renders(before, tether.metrics(), source.kind(), "miss");
          System.out.printf("[render] warm-up %d: %s synced in %d ms from push, the server's render %s%n", i, source.label(),
              run.pushToAppliedMs(), render.describe());
          if (i == 1) {
            firstRound.add(source.label() + " " + run.pushToAppliedMs() + " ms from push (render " + render.describe() + ")");
          }
        }
      }

      List<Row> rows = new ArrayList<>();
      for (Source source : sources) {
        rows.add(measure(source, tether, kubectl, admin));
      }
      // A restarted agent asks again for every project at the commits the server answered: its cache answers (cache=commit).
      PrometheusText beforeRestart = tether.metrics();
      tether.restartAgent();
      PrometheusText afterRestart = tether.metrics();
      print(rows, firstRound, beforeRestart, afterRestart, warmUps);
    } finally {
      plane.close();
      // The API server's logs (audit log included) stay for a closer look at what happened.
      plane.deleteFilesKeepingLogs();
    }
  }

  private Row measure(Source source, TetherSync tether, KubectlSync kubectl, KubernetesClient admin) throws Exception {
    String pipelineNs = Figures.createNamespace(admin, source.kind() + "-pipeline");
    jit.awaitIdleBeforeMeasuring(NAME, JIT_IDLE_CAP);
    SyncRun pipeline = kubectl.runPipeline(source.kind() + " | kubectl apply --server-side", source.render().apply(pipelineNs),
        source.folder(), pipelineNs);
    long renderOnlyMs = KubectlSync.renderOnlyMs(source.render().apply(pipelineNs), source.folder());
    System.out.printf("[render] %s: the pipeline %d ms, again %d ms (%d writes); its render alone %d ms%n", source.label(),
        pipeline.ms(), pipeline.resyncMs(), pipeline.resyncRequests().writes(), renderOnlyMs);

    jit.awaitIdleBeforeMeasuring(NAME, JIT_IDLE_CAP);
    PrometheusText before = tether.metrics();
    TetherSync.Run first = tether.run(source.kind(), source.folder(), Figures.createNamespace(admin, source.kind() + "-tether"),
        source.entryKeys());
    PrometheusText afterFirst = tether.metrics();
    ServerTimes coldRender = ServerTimes.renders(before, afterFirst, source.kind(), "miss");
    ServerTimes firstFetches = ServerTimes.fetches(before, afterFirst);

    jit.awaitIdleBeforeMeasuring(NAME, JIT_IDLE_CAP);
    TetherSync.Pushed unchanged = tether.push(source.kind(), "NOTES.md", "A commit that changes nothing the source reads.\n");
    PrometheusText afterUnchanged = tether.metrics();
    ServerTimes cachedRender = ServerTimes.renders(afterFirst, afterUnchanged, source.kind(), "inputs");
    System.out.printf("[render] %s: Tether %d ms from push (render %s), unchanged render %d ms from push with %d writes%n",
        source.label(), first.pushToAppliedMs(), coldRender.describe(), unchanged.pushToAppliedMs(), unchanged.requests().writes());
    return new Row(source, pipeline, renderOnlyMs, first, coldRender, firstFetches, unchanged, cachedRender,
        ServerTimes.fetches(afterFirst, afterUnchanged));
  }

  private static Source chart(Path workDir, int templates, Path helm, Path helmHome) throws Exception {
    Path folder = GeneratedChart.folder(workDir, templates);
    String entry = "      helm:\n        chart: " + GeneratedChart.CHART + "\n        release_name: " + GeneratedChart.RELEASE
        + "\n        values:\n          - file: " + GeneratedChart.VALUES_FILE + "\n";
    // Helm's own folders in the run's folder: the pipeline needs no repositories, and leaves nothing in the home folder.
    String env = "HELM_CONFIG_HOME=" + KubectlSync.quote(helmHome.resolve("config")) + " HELM_CACHE_HOME="
        + KubectlSync.quote(helmHome.resolve("cache")) + " HELM_DATA_HOME=" + KubectlSync.quote(helmHome.resolve("data")) + " ";
    return new Source("helm chart, " + templates + " templates", "helm", folder, GeneratedChart.objects(templates), entry,
        namespace -> env + KubectlSync.quote(helm) + " template " + GeneratedChart.RELEASE + " " + GeneratedChart.CHART + " -f "
            + GeneratedChart.VALUES_FILE + " --namespace " + namespace);
  }

  private static Source overlay(Path workDir, int objects, Path kustomize) throws Exception {
    Path folder = GeneratedOverlay.folder(workDir, objects);
    return new Source("kustomize overlay", "kustomize", folder, GeneratedOverlay.objects(objects),
        "      kustomize: {path: " + GeneratedOverlay.OVERLAY + "}\n",
        namespace -> KubectlSync.quote(kustomize) + " build " + GeneratedOverlay.OVERLAY);
  }

  /** The real Helm CLI the pipeline runs, built by tools/charts/build.sh (tools/bench.sh exports its folder). */
  private static Path helmProgram() {
    String dir = System.getenv("TETHER_CHARTS_DIR");
    if (dir == null || dir.isBlank() || !Files.isExecutable(Path.of(dir, "helm"))) {
      throw new IllegalStateException("the render benchmark runs the Helm CLI from TETHER_CHARTS_DIR, which "
          + (dir == null || dir.isBlank() ? "is not set" : "has no executable 'helm'")
          + ": run it with tools/bench.sh render, which builds Helm (tools/charts/build.sh) and sets it");
    }
    return Path.of(dir, "helm");
  }

  private static void print(List<Row> rows, List<String> firstRound, PrometheusText beforeRestart, PrometheusText afterRestart,
      int warmUps) {
    TextTable targets = new TextTable("source", "objects", "pipeline, first", "Tether first sync, push to applied", "× pipeline",
        "≤ " + FIRST_SYNC_TARGET + "×", "pipeline again (writes)", "Tether, commit with unchanged render, push to applied (writes)",
        "× pipeline again", "≤ " + UNCHANGED_TARGET + "×, 0 writes");
    TextTable render = new TextTable("source", "pipeline's render alone", "server render, cold", "server, cached: same inputs",
        "server, cached: same commit (agent restarted)", "agent resync, same commit (writes)");
    TextTable breakdown = new TextTable("source", "sync", "push to applied", "server render", "server Git fetches",
        "agent sync (parse, apply, inventory)", "the rest (webhook, configuration, transfer, waits)");
    for (Row row : rows) {
      Source s = row.source();
      long firstMs = row.first().pushToAppliedMs();
      long unchangedMs = row.unchanged().pushToAppliedMs();
      int unchangedWrites = row.unchanged().requests().writes();
      targets.add(s.label(), String.valueOf(s.objects()), row.pipeline().ms() + " ms", firstMs + " ms",
          Figures.ratio(firstMs, row.pipeline().ms()), met(firstMs <= FIRST_SYNC_TARGET * row.pipeline().ms()),
          row.pipeline().resyncMs() + " ms (" + row.pipeline().resyncRequests().writes() + ")",
          unchangedMs + " ms (" + unchangedWrites + ")", Figures.ratio(unchangedMs, row.pipeline().resyncMs()),
          met(unchangedWrites == 0 && unchangedMs <= UNCHANGED_TARGET * row.pipeline().resyncMs()));
      render.add(s.label(), row.renderOnlyMs() + " ms", row.coldRender().describe(), row.cachedRender().describe(),
          ServerTimes.renders(beforeRestart, afterRestart, s.kind(), "commit").describe(),
          row.first().sync().resyncMs() + " ms (" + row.first().sync().resyncRequests().writes() + ")");
      breakdown.add(s.label(), "first", firstMs + " ms", row.coldRender().totalMs() + " ms", fetches(row.firstFetches()),
          row.first().sync().ms() + " ms", rest(firstMs, row.coldRender(), row.firstFetches(), row.first().sync().ms()));
      breakdown.add(s.label(), "unchanged render", unchangedMs + " ms", row.cachedRender().totalMs() + " ms (cached)",
          fetches(row.unchangedFetches()), row.unchanged().syncMs() + " ms",
          rest(unchangedMs, row.cachedRender(), row.unchangedFetches(), row.unchanged().syncMs()));
    }
    System.out.println();
    System.out.print(targets.markdown());
    System.out.println("\nThe pipeline is `helm template … | kubectl apply --server-side -f -` or `kustomize build … | kubectl apply"
        + " --server-side -f -` with the real programs, run into an empty namespace, then again with nothing changed. Tether's first"
        + " sync runs from the push that adds the project to the agent's configuration (the push webhook announces it) to the"
        + " agent's sync at that commit: fetches, the server's render, the transfer and the agent's apply. Then a commit to the"
        + " source's project that changes no file the source reads, from its push to the agent's sync at that commit. Writes are"
        + " counted in the API server's audit log by user agent.");
    System.out.println();
    System.out.print(render.markdown());
    System.out.println("\nServer render times from the server's own metric tether_render_duration_seconds (mean of the answers):"
        + " cold is a render of a commit no agent asked for before (cache=miss); cached for a commit that changed nothing the"
        + " source reads (cache=inputs: the server lists what the source reads and finds the render it has), and for the same"
        + " commit again (cache=commit), here when the agent restarted at the end and asked again for each project of its"
        + " source's kind (the warm-ups' and the measured one), as another agent on the same source does. The agent's resync"
        + " of the same commit is its periodic one, which the server takes no part in.");
    System.out.println();
    System.out.print(breakdown.markdown());
    System.out.println("\nWhere push to applied went: the server's render and its Git fetches (the configuration project's and"
        + " the source's; for the first sync also the new project's first fetch) from its metrics tether_render_duration_seconds"
        + " and tether_git_fetch_seconds (in brackets how many fetches), the agent's sync from its own report, and the rest.");
    System.out.println("\nBefore the measured rounds Tether synced each source " + warmUps + " time(s), each a new project, not"
        + " measured, as a server and agent that have run a while; the first of them, right after the server and agent"
        + " started: " + String.join("; ", firstRound) + ".");
  }

  private static String fetches(ServerTimes fetches) {
    return fetches.totalMs() + " ms (" + fetches.count() + ")";
  }

  /** What the parts measured leave of push to applied; fetches of other projects may overlap, hence never below 0. */
  private static String rest(long pushToAppliedMs, ServerTimes render, ServerTimes fetches, long syncMs) {
    return Math.max(0, pushToAppliedMs - render.totalMs() - fetches.totalMs() - syncMs) + " ms";
  }

  private static String met(boolean met) {
    return met ? "yes" : "no";
  }
}
