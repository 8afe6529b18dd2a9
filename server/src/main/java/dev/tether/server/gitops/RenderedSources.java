package dev.tether.server.gitops;

import dev.tether.common.config.ManifestSource;
import dev.tether.common.metrics.PrometheusMetrics;
import dev.tether.server.git.ProjectMirrors;
import dev.tether.server.render.ClusterCapabilities;
import dev.tether.server.render.ProjectTree;
import dev.tether.server.render.RenderException;
import dev.tether.server.render.RenderLimits;
import dev.tether.server.render.RenderPlan;
import dev.tether.server.render.Renderer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Renders sources on the server, once: per project, commit and source (however many agents ask,
 * and at once), and again only when something the render reads changed, so that a commit that
 * touches none of it costs no render and reaches the agents as the same digest.
 */
public final class RenderedSources {
  /**
   * What agents get for a source at a commit: the rendered manifests or the error, and when the render ran.
   *
   * @param retryable an error of the server's own (no kustomize, a time limit), tried again after {@link #RETRY_AFTER}
   * @param resolved what the render took from chart repositories (chart and resolved version), or null
   * @param recheckAfter when set, the outcome stands only until then: a chart repository may have published a
   *     newer version matching the source's range, or come back up
   */
  public record Outcome(String commit, ManifestSelection selection, String error, Instant renderedAt, boolean retryable,
      String resolved, Instant recheckAfter) {
    Outcome(String commit, ManifestSelection selection, String error, Instant renderedAt) {
      this(commit, selection, error, renderedAt, false);
    }

    Outcome(String commit, ManifestSelection selection, String error, Instant renderedAt, boolean retryable) {
      this(commit, selection, error, renderedAt, retryable, null, null);
    }
  }

  /** How long an error of the server's own stands before the same source and commit are rendered again. */
  static final java.time.Duration RETRY_AFTER = java.time.Duration.ofSeconds(30);
  /**
   * How long the version a range picked (and a chart repository's failure) stands before the source is planned
   * again on the next poll of its project; the repository's index is cached as long ({@code ChartRepositories}).
   */
  private final java.time.Duration recheckRepositories;
  /** Sources in use at once; each entry holds a reference to rendered bytes the other cache shares. */
  private static final int CACHED = 256;

  private record CommitKey(String projectId, String commit, ManifestSource source, ClusterCapabilities capabilities) {}

  /** @param hooks whether the render keeps hooks: the same inputs render differently for an agent that runs none */
  private record InputKey(String projectId, String inputKey, boolean hooks) {}

  private final Map<ManifestSource.Kind, Renderer> renderers = new EnumMap<>(ManifestSource.Kind.class);
  private final ProjectTreeSource trees;
  private final RenderLimits limits;
  private final Clock clock;
  private final MeterRegistry meters;
  private final AtomicLong renders = new AtomicLong();
  private final Map<CommitKey, CompletableFuture<Outcome>> byCommit = lru(CACHED);
  private final Map<InputKey, Outcome> byInputs = lru(CACHED);

  /** Lists a project's tree at a commit; a seam so that tests can count renders without a mirror. */
  public interface ProjectTreeSource {
    ProjectTree tree(String projectId, String commit, int maxEntries) throws RenderException;
  }

  public RenderedSources(ProjectTreeSource trees, List<Renderer> renderers, RenderLimits limits, Clock clock, MeterRegistry meters) {
    this(trees, renderers, limits, clock, meters, java.time.Duration.ofMinutes(5));
  }

  /** @param recheckRepositories how often a source that reads chart repositories is resolved again at its commit */
  public RenderedSources(ProjectTreeSource trees, List<Renderer> renderers, RenderLimits limits, Clock clock, MeterRegistry meters,
      java.time.Duration recheckRepositories) {
    this.recheckRepositories = recheckRepositories;
    this.trees = trees;
    renderers.forEach(r -> this.renderers.put(r.kind(), r));
    this.limits = limits;
    this.clock = clock;
    this.meters = meters;
  }

  public static ProjectTreeSource trees(ProjectMirrors mirrors) {
    return (projectId, commit, maxEntries) -> ProjectTree.of(mirrors, projectId, commit, maxEntries);
  }

  /** How many renders ran (not served from the cache) since the server started. */
  public long renders() {
    return renders.get();
  }

  /** The source rendered at the commit for no cluster in particular. */
  public Outcome render(String projectId, String commit, ManifestSource source) {
    return render(projectId, commit, source, ClusterCapabilities.NONE);
  }

  /**
   * The source rendered at the commit for a cluster with these capabilities; concurrent callers for
   * one key share one render, and clusters of one version share it too. Sources whose renderer does
   * not read capabilities render once for all clusters.
   */
  public Outcome render(String projectId, String commit, ManifestSource source, ClusterCapabilities clusterCapabilities) {
    long started = System.nanoTime();
    Renderer renderer = renderers.get(source.kind());
    ClusterCapabilities capabilities = renderer != null && renderer.readsCapabilities() ? clusterCapabilities : ClusterCapabilities.NONE;
    CommitKey key = new CommitKey(projectId, commit, source, capabilities);
    CompletableFuture<Outcome> mine = new CompletableFuture<>();
    CompletableFuture<Outcome> existing;
    synchronized (byCommit) {
      existing = byCommit.get(key);
      if (existing != null && existing.isDone() && !existing.isCompletedExceptionally() && existing.join().retryable()
          && existing.join().renderedAt().plus(RETRY_AFTER).isBefore(clock.instant())) {
        existing = null;
      } else if (existing != null && existing.isDone() && !existing.isCompletedExceptionally()
          && existing.join().recheckAfter() != null && existing.join().recheckAfter().isBefore(clock.instant())) {
        existing = null;
      }
      if (existing == null) {
        byCommit.put(key, mine);
      }
    }
    if (existing != null) {
      Outcome shared = existing.join();
      timed(source, Served.SAME_COMMIT, started);
      return shared;
    }
    try {
      Served served = renderNow(projectId, commit, source, capabilities, mine);
      timed(source, served, started);
    } catch (RuntimeException e) {
      synchronized (byCommit) {
        byCommit.remove(key);
      }
      mine.completeExceptionally(e);
      throw e;
    }
    return mine.join();
  }

  /** How a source's manifests were had, as the {@code cache} tag of {@code tether_render_duration_seconds} says it. */
  private enum Served {
    /** Rendered (or failed to render) now. */
    MISS("miss"),
    /** Another agent, or the same one again, asked for the same commit and source: the render it already had. */
    SAME_COMMIT("commit"),
    /** A new commit that changed nothing the source reads: checked (plan), not rendered. */
    SAME_INPUTS("inputs");

    final String tag;

    Served(String tag) {
      this.tag = tag;
    }
  }

  /** One answer for a source, rendered or cached: what operators read to see what rendering costs and what the cache saves. */
  private void timed(ManifestSource source, Served served, long startedNanos) {
    Timer.builder("tether.render.duration").description("How long the server took to have a source's manifests: rendered"
            + " (cache=miss) or from its cache (cache=commit: the same commit again; cache=inputs: a commit that changed nothing the"
            + " source reads)")
        .tag("kind", source.kind().name().toLowerCase(Locale.ROOT)).tag("cache", served.tag)
        .serviceLevelObjectives(PrometheusMetrics.WORK_BUCKETS).register(meters)
        .record(System.nanoTime() - startedNanos, TimeUnit.NANOSECONDS);
  }

  /** Renders the source into {@code result}, or completes it from a render of the same inputs; says which. */
  private Served renderNow(String projectId, String commit, ManifestSource source, ClusterCapabilities capabilities,
      CompletableFuture<Outcome> result) {
    String name = describe(source);
    Renderer renderer = renderers.get(source.kind());
    if (renderer == null) {
      result.complete(new Outcome(commit, null, name + ": this server has no renderer for "
          + source.kind().name().toLowerCase(Locale.ROOT) + " sources", clock.instant()));
      return Served.MISS;
    }
    RenderPlan plan;
    try {
      plan = renderer.plan(trees.tree(projectId, commit, limits.maxFiles() * 10), source, capabilities);
    } catch (RenderException e) {
      result.complete(new Outcome(commit, null, name + ": " + e.getMessage(), clock.instant(), e.retryable(), null, recheck(source)));
      return Served.MISS;
    }
    Instant recheck = plan.fromRepositories() ? clock.instant().plus(recheckRepositories) : null;
    InputKey inputs = new InputKey(projectId, plan.inputKey(), capabilities.agentRunsHooks());
    Outcome earlier;
    synchronized (byInputs) {
      earlier = byInputs.get(inputs);
    }
    if (earlier != null) {
      // Nothing the render reads changed: the same manifests, under this commit, with the same digest.
      ManifestSelection s = earlier.selection();
      result.complete(new Outcome(commit, new ManifestSelection(projectId, commit, s.digest(), s.files()), null, earlier.renderedAt(), false,
          plan.resolved(), recheck));
      return Served.SAME_INPUTS;
    }
    renders.incrementAndGet();
    String kind = source.kind().name().toLowerCase(Locale.ROOT);
    try {
      byte[] yaml = renderer.render(plan);
      count(kind, "rendered");
      Outcome outcome = new Outcome(commit, new ManifestSelection(projectId, commit, "sha256:" + sha256(yaml),
          List.of(new ManifestSelection.File(outputPath(source), yaml))), null, clock.instant(), false, plan.resolved(), recheck);
      synchronized (byInputs) {
        byInputs.put(inputs, outcome);
      }
      result.complete(outcome);
    } catch (RenderException e) {
      count(kind, "failed");
      result.complete(new Outcome(commit, null, name + ": " + e.getMessage(), clock.instant(), e.retryable(), plan.resolved(), recheck));
    }
    return Served.MISS;
  }

  /** A source from a chart repository whose plan failed is planned again later: the repository may be back up. */
  private Instant recheck(ManifestSource source) {
    return source instanceof ManifestSource.Helm helm && helm.fromRepository() ? clock.instant().plus(recheckRepositories) : null;
  }

  private void count(String kind, String result) {
    Counter.builder("tether.renders").description("Renders of sources the server ran (cached ones are not counted)")
        .tag("kind", kind).tag("result", result).register(meters).increment();
  }

  /** How a source is named in messages: {@code kustomize overlays/prod}, {@code helm charts/web}. */
  public static String describe(ManifestSource source) {
    return source.kind().name().toLowerCase(Locale.ROOT) + (source.renders() == null ? "" : " " + source.renders());
  }

  /** The one file a render reaches the agent as, named after what it renders so that the agent's messages point there. */
  static String outputPath(ManifestSource source) {
    String file = source.kind().name().toLowerCase(Locale.ROOT) + "-build.yaml";
    return source.renders() == null || source.renders().equals(".") ? file : source.renders() + "/" + file;
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static <K, V> Map<K, V> lru(int size) {
    return new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
        return size() > size;
      }
    };
  }
}
