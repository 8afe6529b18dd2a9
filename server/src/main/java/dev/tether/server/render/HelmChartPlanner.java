package dev.tether.server.render;

import dev.tether.common.config.ChartRepositoryUrl;
import dev.tether.common.config.HelmValues;
import dev.tether.common.config.ManifestSource;
import dev.tether.common.yaml.SafeYaml;
import dev.tether.common.yaml.YamlLimits;
import dev.tether.common.yaml.YamlProblem;
import dev.tether.common.yaml.YamlValues;
import dev.tether.server.charts.ChartArchive;
import dev.tether.server.charts.ChartFetchException;
import dev.tether.server.charts.ChartRepositories;
import dev.tether.server.charts.ResolvedChart;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Where a Helm render's chart comes from, and what it reads: a chart directory of the project with
 * its vendored subcharts (folders or packaged {@code .tgz}) and the dependencies its Chart.yaml
 * names in chart repositories, or a chart of a repository. Charts of repositories are resolved
 * (a range to its newest matching version) and fetched at plan time, so that the plan's key holds
 * their versions and digests: a new version renders again, an unchanged one does not.
 */
final class HelmChartPlanner {
  /** Where a chart from a repository is unpacked, beside the project's folder in the render folder. */
  static final String REPOSITORY_DIR = "repository";
  private static final YamlLimits CHART_YAML = new YamlLimits(1024 * 1024, 32, 0, 100_000);
  /** Packaged subcharts inside packaged subcharts, as deep as this. */
  private static final int MAX_NESTING = 5;

  private final RenderLimits limits;
  private final ChartRepositories repositories;
  private final ChartArchive.Limits archiveLimits;

  /** @param repositories null on a server that fetches no charts (then sources from repositories are refused) */
  HelmChartPlanner(RenderLimits limits, ChartRepositories repositories, ChartArchive.Limits archiveLimits) {
    this.limits = limits;
    this.repositories = repositories;
    this.archiveLimits = archiveLimits;
  }

  /** The unpacked chart: its folder, and the CRD files of charts unpacked from archives (project CRDs are inputs). */
  record Unpacked(Path chartDirectory, String crds) {}

  RenderPlan plan(ProjectTree tree, ManifestSource.Helm helm, ClusterCapabilities capabilities) throws RenderException {
    TreeMap<String, ProjectTree.Entry> inputs = new TreeMap<>();
    List<ChartArchiveInput> archives = new ArrayList<>();
    List<String> resolved = new ArrayList<>();
    if (helm.fromRepository()) {
      ResolvedChart chart = resolve(helm.repository(), helm.chart(), helm.version(), "the source's chart");
      byte[] bytes = fetch(chart);
      String into = REPOSITORY_DIR + "/" + helm.chart();
      archives.add(new ChartArchiveInput(into, "chart " + chart.describe(), bytes, null));
      resolved.add(chart.describe());
      // A published chart normally holds its dependencies under charts/; one that does not gets them as `helm dependency
      // build` would, from the repositories its Chart.yaml names.
      ChartArchive.Contents contents;
      try {
        contents = ChartArchive.contents(bytes, archiveLimits, "chart " + chart.describe());
      } catch (ChartFetchException e) {
        throw new RenderException(e.getMessage());
      }
      String chartYaml = "Chart.yaml of chart " + chart.describe();
      addDependencies(dependencies(contents.chartYaml(), chartYaml), contents.vendored(), chartYaml, into + "/charts/",
          "the chart archive does not hold it under charts/", archives, resolved);
    } else {
      planProjectChart(tree, helm.chart(), inputs, archives, resolved);
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
      throw new RenderException("chart " + helm.chart() + " has more than " + limits.maxFiles() + " files (the limit per render)");
    }
    MessageDigest digest = sha256();
    digest.update(("helm\0" + helm.repository() + "\0" + helm.chart() + "\0" + helm.releaseName() + "\0" + helm.namespace()
        + "\0kube:" + capabilities.kubeVersion() + "\n").getBytes(StandardCharsets.UTF_8));
    for (HelmValues values : helm.values()) {
      digest.update((values instanceof HelmValues.Inline inline ? "inline\0" + inline.yaml() : "file\0" + ((HelmValues.File) values).path())
          .getBytes(StandardCharsets.UTF_8));
      digest.update((byte) '\n');
    }
    inputs.values().forEach(e -> digest.update((e.path() + "\0" + e.contentId() + "\n").getBytes(StandardCharsets.UTF_8)));
    // The resolved version and digest of every fetched chart: a new version matching a range renders again.
    archives.forEach(a -> digest.update(("archive\0" + a.into() + "\0" + (a.bytes() == null ? a.entry().contentId()
        : HexFormat.of().formatHex(sha256().digest(a.bytes()))) + "\n").getBytes(StandardCharsets.UTF_8)));
    return new RenderPlan(tree, helm, List.copyOf(inputs.values()), "sha256:" + HexFormat.of().formatHex(digest.digest()),
        capabilities, archives, resolved.isEmpty() ? null : String.join(", ", resolved), !resolved.isEmpty());
  }

  private void planProjectChart(ProjectTree tree, String chart, TreeMap<String, ProjectTree.Entry> inputs,
      List<ChartArchiveInput> archives, List<String> resolved) throws RenderException {
    checkPath(chart, "the chart directory");
    if (!tree.isDirectory(chart)) {
      throw new RenderException("chart directory " + chart + " is not in project '" + tree.projectId() + "' at commit " + tree.commit());
    }
    String prefix = chart.equals(".") ? "" : chart + "/";
    ProjectTree.Entry chartYaml = tree.entry(prefix + "Chart.yaml").filter(e -> e.kind() == ProjectTree.Kind.FILE)
        .orElseThrow(() -> new RenderException(prefix + "Chart.yaml is not in project '" + tree.projectId() + "' at commit "
            + tree.commit() + " as a regular file; the chart path names the directory that holds Chart.yaml"));
    List<String> vendored = new ArrayList<>();
    for (ProjectTree.Entry entry : tree.under(chart)) {
      if (entry.kind() != ProjectTree.Kind.FILE) {
        throw new RenderException(entry.path() + " is a " + (entry.kind() == ProjectTree.Kind.SYMLINK ? "symbolic link" : "submodule")
            + " in chart " + chart + "; a Helm source reads only regular files: commit the file itself");
      }
      String inChart = entry.path().substring(prefix.length());
      if (inChart.matches("charts/[^/]+\\.tgz")) {
        // Unpacked within the archive limits in place of the archive, which is not handed to Helm.
        String name = inChart.substring("charts/".length(), inChart.length() - 4);
        archives.add(new ChartArchiveInput("project/" + prefix + "charts/" + name, "packaged subchart " + entry.path(), null, entry));
        vendored.add(name.replaceAll("-v?[0-9][^/]*$", ""));
      } else if (inChart.matches("charts/[^/]+/Chart.yaml")) {
        vendored.add(inChart.split("/")[1]);
      }
      inputs.put(entry.path(), entry);
    }
    addDependencies(dependencies(tree.read(chartYaml, limits.maxFileBytes()), chartYaml.path()), vendored, chartYaml.path(),
        "project/" + prefix + "charts/", "commit the chart folder as " + prefix + "charts/NAME/ (Tether reads file:// dependencies only "
        + "when vendored there)", archives, resolved);
  }

  /**
   * Fetches the dependencies that a Chart.yaml names in chart repositories and that are not vendored, into
   * {@code chartsDir} of the render folder.
   */
  private void addDependencies(List<Map<?, ?>> dependencies, List<String> vendored, String chartYaml, String chartsDir,
      String fileDependencyHint, List<ChartArchiveInput> archives, List<String> resolved) throws RenderException {
    for (Map<?, ?> dependency : dependencies) {
      String name = String.valueOf(dependency.get("name"));
      Object repository = dependency.get("repository");
      if (repository == null || String.valueOf(repository).isBlank() || vendored.contains(name)) {
        continue; // vendored in charts/, or Helm says it is missing
      }
      String url = String.valueOf(repository).strip();
      String what = "dependency '" + name + "' of " + chartYaml;
      if (url.startsWith("file://")) {
        throw new RenderException(what + " is a file:// dependency that is not vendored: " + fileDependencyHint.replace("NAME", name));
      }
      if (url.startsWith("@") || url.startsWith("alias:")) {
        throw new RenderException(what + " names the repository alias '" + url + "', which only a Helm client's own "
            + "configuration defines; write the repository's URL (https://... or oci://...)");
      }
      String problem = ChartRepositoryUrl.problem(url);
      if (problem != null) {
        throw new RenderException(what + ": repository '" + url + "' " + problem);
      }
      Object version = dependency.get("version");
      ResolvedChart fetched = resolve(ChartRepositoryUrl.normalized(url), name, version == null ? "*" : String.valueOf(version), what);
      archives.add(new ChartArchiveInput(chartsDir + name, "dependency " + fetched.describe(), fetch(fetched), null));
      resolved.add(fetched.describe());
    }
  }

  private static List<Map<?, ?>> dependencies(byte[] chartYamlBytes, String chartYaml) throws RenderException {
    Object value;
    try {
      value = SafeYaml.readOne(chartYamlBytes, CHART_YAML).map(node -> {
        try {
          return YamlValues.toValue(node);
        } catch (YamlProblem e) {
          throw new IllegalArgumentException(e.getMessage() + " (line " + e.line() + ")");
        }
      }).orElse(null);
    } catch (YamlProblem | IllegalArgumentException e) {
      throw new RenderException(chartYaml + " is not valid YAML: " + e.getMessage());
    }
    if (!(value instanceof Map<?, ?> chart) || !(chart.get("dependencies") instanceof List<?> list)) {
      return List.of();
    }
    List<Map<?, ?>> dependencies = new ArrayList<>();
    for (Object item : list) {
      if (item instanceof Map<?, ?> m && m.get("name") != null) {
        dependencies.add(m);
      }
    }
    return dependencies;
  }

  private ResolvedChart resolve(String repository, String chart, String version, String what) throws RenderException {
    if (repositories == null) {
      throw new RenderException(what + " comes from " + repository + ", and this server fetches no charts from repositories", true);
    }
    try {
      return repositories.resolve(repository, chart, version);
    } catch (ChartFetchException e) {
      throw new RenderException(e.getMessage(), e.retryable());
    }
  }

  private byte[] fetch(ResolvedChart chart) throws RenderException {
    try {
      return repositories.archive(chart);
    } catch (ChartFetchException e) {
      throw new RenderException(e.getMessage(), e.retryable());
    }
  }

  /** Unpacks the plan's archives into the render folder (after the project files are written) and says where the chart is. */
  Unpacked unpack(RenderPlan plan, RenderWorkspace workspace) throws RenderException {
    ManifestSource.Helm helm = (ManifestSource.Helm) plan.source();
    StringBuilder crds = new StringBuilder();
    for (ChartArchiveInput archive : plan.archives()) {
      Path into = workspace.root().resolve(archive.into()).normalize();
      byte[] bytes = archive.bytes();
      if (archive.entry() != null) {
        bytes = plan.tree().read(archive.entry(), limits.maxFileBytes());
        delete(workspace.project().resolve(archive.entry().path()));
      }
      unpack(bytes, into, archive.what(), 0);
      crds.append(crds(into, archive.into()));
      if (plan.capabilities().agentRunsHooks()) {
        try {
          HelmHookRenaming.renameUnder(into);
        } catch (IOException e) {
          throw new RenderException("cannot prepare " + archive.what() + " for rendering: " + e.getMessage(), true);
        }
      }
    }
    Path chart = helm.fromRepository() ? workspace.root().resolve(REPOSITORY_DIR).resolve(helm.chart())
        : workspace.project().resolve(helm.chart()).normalize();
    return new Unpacked(chart, crds.toString());
  }

  private void unpack(byte[] bytes, Path into, String what, int depth) throws RenderException {
    try {
      if (Files.exists(into)) {
        throw new RenderException(what + " would be unpacked over " + into.getFileName() + ", which the chart has already; keep "
            + "one of the folder and the archive");
      }
      ChartArchive.unpack(bytes, into, archiveLimits, what);
      Path charts = into.resolve("charts");
      if (Files.isDirectory(charts)) {
        try (Stream<Path> packaged = Files.list(charts)) {
          for (Path tgz : packaged.filter(p -> p.getFileName().toString().endsWith(".tgz")).toList()) {
            if (depth >= MAX_NESTING) {
              throw new RenderException(what + " nests packaged subcharts more than " + MAX_NESTING + " deep (the limit)");
            }
            byte[] nested = Files.readAllBytes(tgz);
            Files.delete(tgz);
            String name = tgz.getFileName().toString();
            unpack(nested, charts.resolve(name.substring(0, name.length() - 4)), what + ", packaged subchart " + name, depth + 1);
          }
        }
      }
    } catch (ChartFetchException e) {
      throw new RenderException(e.getMessage());
    } catch (IOException e) {
      throw new RenderException("cannot unpack " + what + " into the render folder: " + e.getMessage(), true);
    }
  }

  /** The CRD files of an unpacked chart and its subcharts, as helm install applies them before the templates. */
  private static String crds(Path dir, String shownAs) throws RenderException {
    StringBuilder out = new StringBuilder();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
        String relative = dir.relativize(file).toString();
        if (relative.matches("(charts/[^/]+/)*crds/.+\\.(yaml|yml|json)")) {
          out.append("---\n# Source: ").append(shownAs).append('/').append(relative).append('\n')
              .append(Files.readString(file)).append('\n');
        }
      }
    } catch (IOException e) {
      throw new RenderException("cannot read the CRDs of " + shownAs + ": " + e.getMessage(), true);
    }
    return out.toString();
  }

  private static void delete(Path file) throws RenderException {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      throw new RenderException("cannot remove " + file.getFileName() + " from the render folder: " + e.getMessage(), true);
    }
  }

  /** A path the configuration checked already; checked again because a request could name any. */
  static void checkPath(String path, String what) throws RenderException {
    if (path.startsWith("/") || path.contains("\0") || path.contains("%") || path.contains("\\")
        || List.of(path.split("/")).contains("..")) {
      throw new RenderException(what + " '" + path + "' leaves the project or is not a plain path: name it relative to the "
          + "project root, without '..', '%', '\\\\' or a leading '/'");
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
