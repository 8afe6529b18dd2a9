package dev.tether.server.render;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import dev.tether.common.config.HelmValues;
import dev.tether.common.config.ManifestSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeMap;
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
 * returns nothing), no repositories and no dependency download (subcharts must be vendored in
 * {@code charts/}), on a small pool of threads with a time limit and a limit on the output.
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

  /** @param workDir where private render folders are made (one per render, removed afterwards) */
  public HelmRenderer(Path workDir, RenderLimits limits) {
    this.workDir = workDir;
    this.limits = limits;
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
    ManifestSource.Helm helm = (ManifestSource.Helm) source;
    String chart = helm.chart();
    checkPath(chart, "the chart directory");
    if (!tree.isDirectory(chart)) {
      throw new RenderException("chart directory " + chart + " is not in project '" + tree.projectId() + "' at commit " + tree.commit());
    }
    String chartYaml = chart.equals(".") ? "Chart.yaml" : chart + "/Chart.yaml";
    if (tree.entry(chartYaml).filter(e -> e.kind() == ProjectTree.Kind.FILE).isEmpty()) {
      throw new RenderException(chartYaml + " is not in project '" + tree.projectId() + "' at commit " + tree.commit()
          + " as a regular file; the chart path names the directory that holds Chart.yaml");
    }
    TreeMap<String, ProjectTree.Entry> inputs = new TreeMap<>();
    for (ProjectTree.Entry entry : tree.under(chart)) {
      if (entry.kind() != ProjectTree.Kind.FILE) {
        throw new RenderException(entry.path() + " is a " + (entry.kind() == ProjectTree.Kind.SYMLINK ? "symbolic link" : "submodule")
            + " in chart " + chart + "; a Helm source reads only regular files: commit the file itself");
      }
      String inChart = chart.equals(".") ? entry.path() : entry.path().substring(chart.length() + 1);
      if (inChart.matches("(.*/)?charts/[^/]+\\.tgz")) {
        throw new RenderException(entry.path() + " is a packaged subchart; Tether reads vendored subcharts as directories: "
            + "unpack it into " + entry.path().substring(0, entry.path().length() - 4).replaceAll("-[0-9][^/]*$", "")
            + "/ (tar xzf) and commit the directory instead of the archive");
      }
      inputs.put(entry.path(), entry);
    }
    for (int i = 0; i < helm.values().size(); i++) {
      if (helm.values().get(i) instanceof HelmValues.File file) {
        String what = "values file " + file.path() + " (values[" + i + "])";
        checkPath(file.path(), what);
        ProjectTree.Entry entry = tree.entry(file.path()).orElseThrow(() -> new RenderException(
            what + " is not in project '" + tree.projectId() + "' at commit " + tree.commit()));
        if (entry.kind() != ProjectTree.Kind.FILE) {
          throw new RenderException(what + " is a " + (entry.kind() == ProjectTree.Kind.SYMLINK ? "symbolic link" : "submodule")
              + "; values files are read only as regular files of the project");
        }
        inputs.put(entry.path(), entry);
      }
    }
    if (inputs.size() > limits.maxFiles()) {
      throw new RenderException("chart " + chart + " has more than " + limits.maxFiles() + " files (the limit per render)");
    }
    MessageDigest digest = sha256();
    digest.update(("helm\0" + chart + "\0" + helm.releaseName() + "\0" + helm.namespace() + "\0kube:" + capabilities.kubeVersion() + "\n")
        .getBytes(StandardCharsets.UTF_8));
    for (HelmValues values : helm.values()) {
      digest.update((values instanceof HelmValues.Inline inline ? "inline\0" + inline.yaml() : "file\0" + ((HelmValues.File) values).path())
          .getBytes(StandardCharsets.UTF_8));
      digest.update((byte) '\n');
    }
    inputs.values().forEach(e -> digest.update((e.path() + "\0" + e.contentId() + "\n").getBytes(StandardCharsets.UTF_8)));
    return new RenderPlan(tree, source, List.copyOf(inputs.values()), "sha256:" + HexFormat.of().formatHex(digest.digest()), capabilities);
  }

  /** A path the configuration checked already; checked again because a request could name any. */
  private static void checkPath(String path, String what) throws RenderException {
    if (path.startsWith("/") || path.contains("\0") || path.contains("%") || path.contains("\\")
        || List.of(path.split("/")).contains("..")) {
      throw new RenderException(what + " '" + path + "' leaves the project or is not a plain path: name it relative to the "
          + "project root, without '..', '%', '\\\\' or a leading '/'");
    }
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
      List<Path> valuesFiles = valuesFiles(helm, workspace, hooks);
      TemplateCommand template = new Helm(workspace.project().resolve(helm.chart()).normalize()).template()
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

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
