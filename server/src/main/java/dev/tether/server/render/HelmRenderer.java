package dev.tether.server.render;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import dev.tether.common.config.HelmValues;
import dev.tether.common.config.ManifestSource;
import dev.tether.server.charts.ChartArchive;
import dev.tether.server.charts.ChartRepositories;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Renders a chart directory of a project as {@code helm template} does, with Helm itself, in-process
 * (helm-java): from a private copy of the chart's files and the values files it is given, with the
 * cluster's Kubernetes version as {@code .Capabilities.KubeVersion}, no cluster access ({@code lookup}
 * returns nothing), the chart itself and the dependencies Chart.yaml names in repositories fetched by
 * the server at plan time ({@link HelmChartPlanner}), never by Helm, on a small pool of threads with a time limit and a limit on the output.
 *
 * <p>Hooks: Helm keeps {@code helm.sh/hook} objects out of what it returns; {@link HelmHookRenaming}
 * keeps them in, so that the agent runs them in phases around the sync, as Argo CD does (for an agent
 * of an older version, which would apply them as ordinary objects, they stay out).
 */
public final class HelmRenderer implements Renderer {
  /** Helm renders on these threads only; a chart that never finishes holds one, not the server. */
  private static final int THREADS = 2;
  private static final int QUEUED = 32;

  private final Path workDir;
  private final RenderLimits limits;
  private final ThreadPoolExecutor executor;
  private final HelmChartPlanner charts;

  /** A renderer of chart directories of projects only: sources that name a chart repository are refused. */
  public HelmRenderer(Path workDir, RenderLimits limits) {
    this(workDir, limits, null);
  }

  /**
   * @param workDir where private render folders are made (one per render, removed afterwards)
   * @param repositories where charts from chart repositories and OCI registries are fetched; null for none
   */
  public HelmRenderer(Path workDir, RenderLimits limits, ChartRepositories repositories) {
    this.workDir = workDir;
    this.limits = limits;
    this.charts = new HelmChartPlanner(limits, repositories, ChartArchive.Limits.DEFAULT);
    AtomicInteger threads = new AtomicInteger();
    this.executor = new ThreadPoolExecutor(THREADS, THREADS, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUED), r -> {
      Thread thread = new Thread(r, "helm-render-" + threads.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
    RenderWorkspace.removeLeftovers(workDir);
  }

  @Override
  public ManifestSource.Kind kind() {
    return ManifestSource.Kind.HELM;
  }

  @Override
  public boolean readsCapabilities() {
    return true;
  }

  @Override
  public RenderPlan plan(ProjectTree tree, ManifestSource source) throws RenderException {
    return plan(tree, source, ClusterCapabilities.NONE);
  }

  @Override
  public RenderPlan plan(ProjectTree tree, ManifestSource source, ClusterCapabilities capabilities) throws RenderException {
    return charts.plan(tree, (ManifestSource.Helm) source, capabilities);
  }

  @Override
  public byte[] render(RenderPlan plan) throws RenderException {
    ManifestSource.Helm helm = (ManifestSource.Helm) plan.source();
    // Helm leaves hooks out of what it returns; they are kept, renamed while Helm renders, for an agent that runs them.
    boolean hooks = plan.capabilities().agentRunsHooks();
    try (RenderWorkspace workspace = RenderWorkspace.create(workDir)) {
      long total = 0;
      StringBuilder crds = new StringBuilder();
      for (ProjectTree.Entry entry : plan.inputs()) {
        byte[] content = plan.tree().read(entry, limits.maxFileBytes());
        if (isCrd(helm.chart(), entry.path())) {
          crds.append("---\n# Source: ").append(entry.path()).append('\n').append(new String(content, StandardCharsets.UTF_8))
              .append('\n');
        }
        total += content.length;
        if (total > limits.maxTotalBytes()) {
          throw new RenderException("the files chart " + helm.chart() + " reads are more than " + limits.maxTotalBytes()
              + " bytes together (the limit per render)");
        }
        workspace.write(entry.path(), !hooks ? content
            : HelmHookRenaming.forHelm(valuesFile(helm, entry.path()) ? null : inChart(helm.chart(), entry.path()), content));
      }
      HelmChartPlanner.Unpacked chart = charts.unpack(plan, workspace);
      crds.append(chart.crds());
      List<Path> valuesFiles = valuesFiles(helm, workspace, hooks);
      TemplateCommand template = new Helm(chart.chartDirectory()).template()
          .withName(helm.releaseName()).withNamespace(helm.namespace());
      if (!plan.capabilities().kubeVersion().isEmpty()) {
        template.withKubeVersion(plan.capabilities().kubeVersion());
      }
      valuesFiles.forEach(template::withValuesFile);
      // helm install installs crds/ before the templates, as they are (never templated); helm template leaves them out.
      String rendered = run(template, helm, workspace);
      String out = crds + (hooks ? HelmHookRenaming.fromHelm(rendered) : rendered);
      if (out.length() > limits.maxOutputBytes()) {
        throw new RenderException("helm template of chart " + helm.chart() + " rendered more than " + limits.maxOutputBytes()
            + " bytes (the render output limit)");
      }
      return out.getBytes(StandardCharsets.UTF_8);
    }
  }

  /** The path inside the chart, or null for a file outside it. */
  private static String inChart(String chart, String path) {
    return chart.equals(".") ? path : path.startsWith(chart + "/") ? path.substring(chart.length() + 1) : null;
  }

  private static boolean valuesFile(ManifestSource.Helm helm, String path) {
    return helm.values().stream().anyMatch(v -> v instanceof HelmValues.File file && file.path().equals(path));
  }

  /** A file of a {@code crds/} directory of the chart or of one of its subcharts, as Helm finds them. */
  private static boolean isCrd(String chart, String path) {
    if (!chart.equals(".") && !path.startsWith(chart + "/")) {
      return false; // a values file beside the chart (or a chart from a repository, whose CRDs come with its archive)
    }
    String inChart = chart.equals(".") ? path : path.substring(chart.length() + 1);
    return inChart.matches("(charts/[^/]+/)*crds/.+\\.(yaml|yml|json)");
  }

  /** Every values item as a file, in order: inline maps are written beside the project, never into it. */
  private static List<Path> valuesFiles(ManifestSource.Helm helm, RenderWorkspace workspace, boolean hooks) throws RenderException {
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < helm.values().size(); i++) {
      HelmValues values = helm.values().get(i);
      if (values instanceof HelmValues.Inline inline) {
        Path file = workspace.root().resolve("inline-values-" + i + ".yaml");
        try {
          Files.writeString(file, hooks ? HelmHookRenaming.forHelm(inline.yaml()) : inline.yaml(), StandardOpenOption.CREATE_NEW);
        } catch (IOException e) {
          throw new RenderException("cannot write inline values into the render folder: " + e.getMessage(), true);
        }
        files.add(file);
      } else {
        files.add(workspace.project().resolve(((HelmValues.File) values).path()));
      }
    }
    return files;
  }

  private String run(TemplateCommand template, ManifestSource.Helm helm, RenderWorkspace workspace) throws RenderException {
    Future<String> rendering;
    try {
      rendering = executor.submit(template::call);
    } catch (RejectedExecutionException e) {
      throw new RenderException("the server has " + QUEUED + " Helm renders waiting already; it renders chart " + helm.chart()
          + " again shortly", true);
    }
    try {
      return rendering.get(limits.timeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      // Helm runs in-process and cannot be stopped; its thread stays busy until it returns, the render is given up now.
      rendering.cancel(true);
      throw new RenderException("helm template of chart " + helm.chart() + " did not finish within "
          + limits.timeout().toSeconds() + "s (the render time limit)", true);
    } catch (InterruptedException e) {
      rendering.cancel(true);
      Thread.currentThread().interrupt();
      throw new RenderException("helm template of chart " + helm.chart() + " was interrupted", true);
    } catch (ExecutionException e) {
      String said = e.getCause() == null || e.getCause().getMessage() == null ? String.valueOf(e.getCause()) : e.getCause().getMessage();
      throw new RenderException(HelmErrors.readable(said, helm, workspace));
    }
  }
}
