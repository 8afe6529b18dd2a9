package dev.tether.agent.gitops;

import dev.tether.agent.gitops.ManifestParser.ManifestFile;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Files of a Helm chart that the globs of a raw entry picked up: they are no manifests but what
 * renders them, so the parser names the chart and the key that renders it rather than failing on
 * {@code {{ }}} or on a Chart.yaml without a kind. A chart is a directory with a {@code Chart.yaml}
 * among the selected files; a file with template braces under a {@code templates/} directory is one
 * too when its Chart.yaml was not selected.
 */
final class ChartFiles {
  private final TreeSet<String> charts = new TreeSet<>();

  ChartFiles(List<ManifestFile> files) {
    for (ManifestFile file : files) {
      if (name(file.path()).equals("Chart.yaml")) {
        charts.add(directory(file.path()));
      }
    }
  }

  /** What to say instead of parsing the file: for a chart's own Chart.yaml or a template; empty otherwise. */
  Optional<String> problem(ManifestFile file) {
    Optional<String> chart = outermostChart(file.path());
    if (chart.isPresent()) {
      String dir = chart.get();
      String chartYaml = dir.equals(".") ? "Chart.yaml" : dir + "/Chart.yaml";
      return Optional.of(file.path().equals(chartYaml) ? chartYaml + " is a Helm chart: " + hint(dir) : "");
    }
    String path = file.path();
    int templates = path.startsWith("templates/") ? 0 : path.indexOf("/templates/");
    if (templates >= 0 && new String(file.content(), StandardCharsets.UTF_8).contains("{{")) {
      return Optional.of(path + " is a Helm template: " + hint(templates == 0 ? "." : path.substring(0, templates)));
    }
    return Optional.empty();
  }

  private static String hint(String dir) {
    return "render its chart with `helm: {chart: " + dir + ", release_name: <name>}` in its own manifest project entry, "
        + "or leave it out with paths[].exclude: ['" + (dir.equals(".") ? "" : dir + "/") + "**']";
  }

  /** The outermost chart directory the path lies in: a subchart belongs to its parent chart. */
  private Optional<String> outermostChart(String path) {
    return charts.stream().filter(dir -> dir.equals(".") || path.startsWith(dir + "/")).min((a, b) -> a.length() - b.length());
  }

  private static String name(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  private static String directory(String path) {
    int slash = path.lastIndexOf('/');
    return slash < 0 ? "." : path.substring(0, slash);
  }
}
