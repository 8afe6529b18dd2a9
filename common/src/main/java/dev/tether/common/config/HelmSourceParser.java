package dev.tether.common.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.common.FlowStyle;
import org.snakeyaml.engine.v2.constructor.StandardConstructor;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * Reads Helm sources: Tether's {@code helm} key of a manifest project entry, and the GitLab agent's
 * experimental {@code gitops.charts} entries, which become the same source on an entry of their own.
 */
final class HelmSourceParser {
  /** Helm's own rule for release names (it refuses others at install). */
  private static final Pattern RELEASE_NAME = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  private static final String RELEASE_NAME_RULE = "a Helm release name: lowercase letters, digits, '-' and '.', "
      + "starting and ending with a letter or digit, at most 53 characters";

  /** Helm's rule for chart names (lowercase letters, digits, dashes; dots and underscores accepted, as helm lint warns only). */
  private static final Pattern CHART_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,249}");
  private static final String CHART_NAME_RULE = "a chart name as it is in the repository: lowercase letters, digits, '-', "
      + "'.' and '_', without '/' (the repository URL holds the path), like podinfo";

  private HelmSourceParser() {}

  /**
   * Tether's form: {@code helm: {chart, release_name, namespace, values: [{inline: {..}} | {file: path}]}},
   * with {@code repository} and {@code version} when the chart comes from a chart repository.
   *
   * @param defaultNamespace the entry's default_namespace, the release namespace when {@code namespace} is not given
   */
  static ManifestSource.Helm helm(ConfigNodeReader r, Node node, String path, String defaultNamespace) {
    Map<String, Node> m = r.mapping(node, path, Set.of("chart", "release_name", "namespace", "values", "repository", "version"));
    String repository = m.containsKey("repository") ? repository(r, m.get("repository"), path + ".repository") : null;
    String chart = ".";
    if (!m.containsKey("chart")) {
      r.error(node, path, repository != null || m.containsKey("repository")
          ? "'chart' is required: the chart's name in the repository, like chart: podinfo"
          : "'chart' is required: the directory of the project that holds Chart.yaml, like chart: charts/web");
    } else if (m.containsKey("repository")) {
      chart = r.matching(m.get("chart"), path + ".chart", CHART_NAME, CHART_NAME_RULE).orElse("chart");
    } else {
      chart = directory(r, m.get("chart"), path + ".chart");
    }
    String version = null;
    if (m.containsKey("repository") && !m.containsKey("version")) {
      r.error(node, path, "'version' is required with 'repository': the chart version, like version: 6.5.2, or a range, "
          + "like version: ^6.5.0 (the newest matching version is used)");
    } else if (m.containsKey("version") && !m.containsKey("repository")) {
      r.string(m.get("version"), path + ".version").ifPresent(text -> r.error(m.get("version"), path + ".version",
          "'version' applies to a chart from a repository (with 'repository'); a chart directory of the project is used as "
          + "its Chart.yaml is at the commit"));
    } else if (m.containsKey("version")) {
      version = r.string(m.get("version"), path + ".version").map(text -> {
        try {
          ChartVersionRange.parse(text);
          return text.strip();
        } catch (IllegalArgumentException e) {
          r.error(m.get("version"), path + ".version", e.getMessage());
          return null;
        }
      }).orElse(null);
    }
    String release = "release";
    if (!m.containsKey("release_name")) {
      r.error(node, path, "'release_name' is required: the Helm release name (.Release.Name), like release_name: web");
    } else {
      release = releaseName(r, m.get("release_name"), path + ".release_name");
    }
    String namespace = m.containsKey("namespace")
        ? r.matching(m.get("namespace"), path + ".namespace", ConfigParser.NAMESPACE, ConfigParser.NAMESPACE_RULE).orElse(defaultNamespace)
        : defaultNamespace;
    return new ManifestSource.Helm(chart, release, namespace == null ? ManifestProject.DEFAULT_NAMESPACE : namespace,
        values(r, m.get("values"), path + ".values", true), repository, repository == null ? null : version == null ? "*" : version);
  }

  /**
   * A chart repository URL: {@code https://} (an index.yaml beside it), {@code http://} and
   * {@code oci://}; credentials belong to the server ({@code tether admin chart-repository add}), never in the URL.
   */
  private static String repository(ConfigNodeReader r, Node node, String path) {
    return r.string(node, path).map(text -> {
      String url = text.strip();
      String problem = ChartRepositoryUrl.problem(url);
      if (problem != null) {
        r.error(node, path, "'" + (url.contains("@") ? "<redacted>" : url) + "' " + problem);
        return null;
      }
      return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }).orElse(null);
  }


  /**
   * One GitLab {@code gitops.charts} entry, as GitLab documented it: {@code release_name},
   * {@code source.project.id}, {@code source.project.path}, {@code namespace} (GitLab's default:
   * {@code default}), {@code values[].inline} and {@code max_history}, which is accepted and unused
   * because Tether keeps no Helm release history (it applies what the chart renders).
   */
  static Optional<ManifestProject> chart(ConfigNodeReader r, Node node, String path) {
    Map<String, Node> m = r.mapping(node, path, Set.of("release_name", "source", "namespace", "values", "max_history"));
    if (!m.containsKey("release_name")) {
      r.error(node, path, "'release_name' is required: the Helm release name, like release_name: web");
    }
    String release = m.containsKey("release_name") ? releaseName(r, m.get("release_name"), path + ".release_name") : "release";
    String namespace = m.containsKey("namespace")
        ? r.matching(m.get("namespace"), path + ".namespace", ConfigParser.NAMESPACE, ConfigParser.NAMESPACE_RULE)
            .orElse(ManifestProject.DEFAULT_NAMESPACE)
        : ManifestProject.DEFAULT_NAMESPACE;
    if (m.containsKey("max_history")) {
      // Accepted so that a GitLab file keeps working; Tether stores no Helm releases, so there is no history to cap.
      r.string(m.get("max_history"), path + ".max_history");
    }
    List<HelmValues> values = values(r, m.get("values"), path + ".values", false);
    if (!m.containsKey("source")) {
      r.error(node, path, "'source' is required: the chart's project, like source: {project: {id: group/charts, path: charts/web}}");
      return Optional.empty();
    }
    Map<String, Node> source = r.mapping(m.get("source"), path + ".source", Set.of("project"));
    if (!source.containsKey("project")) {
      r.error(m.get("source"), path + ".source", "'project' is required: the project that holds the chart, like project: {id: group/charts, path: charts/web}");
      return Optional.empty();
    }
    String projectPath = path + ".source.project";
    Map<String, Node> project = r.mapping(source.get("project"), projectPath, Set.of("id", "path"));
    if (!project.containsKey("id")) {
      r.error(source.get("project"), projectPath, "'id' is required: the project that holds the chart, like id: group/charts");
    }
    String chart = project.containsKey("path") ? directory(r, project.get("path"), projectPath + ".path") : ".";
    Optional<String> id = project.containsKey("id")
        ? r.matching(project.get("id"), projectPath + ".id", ConfigParser.PROJECT_ID, ConfigParser.PROJECT_ID_RULE) : Optional.empty();
    ManifestSource.Helm helm = new ManifestSource.Helm(chart, release, namespace, values);
    return id.map(value -> new ManifestProject(value, GitRef.defaultBranch(), namespace, helm,
        ManifestProject.DEFAULT_RECONCILE_TIMEOUT, ManifestProject.DryRunStrategy.NONE, true, ManifestProject.DEFAULT_TIMEOUT,
        ManifestProject.PropagationPolicy.FOREGROUND, ManifestProject.InventoryPolicy.MUST_MATCH, "", ManifestProject.Drift.CORRECT,
        ManifestProject.DEFAULT_RESYNC_INTERVAL, ManifestProject.DEFAULT_FIELD_MANAGER, true, false, release, List.of()));
  }

  private static String releaseName(ConfigNodeReader r, Node node, String path) {
    return r.matching(node, path, RELEASE_NAME, RELEASE_NAME_RULE).filter(name -> {
      if (name.length() > 53) {
        r.error(node, path, "'" + name + "' is longer than 53 characters; Helm refuses longer release names");
        return false;
      }
      return true;
    }).orElse("release");
  }

  private static String directory(ConfigNodeReader r, Node node, String path) {
    return r.string(node, path).map(p -> {
      String problem = ManifestProjectParser.directoryProblem(p);
      if (problem != null) {
        r.error(node, path, "'" + p + "' " + problem);
        return ".";
      }
      return ManifestProjectParser.normalized(p);
    }).orElse(".");
  }

  /** The values list, in order; GitLab's form has only {@code inline}, Tether's also {@code file}. */
  private static List<HelmValues> values(ConfigNodeReader r, Node node, String path, boolean files) {
    List<HelmValues> values = new ArrayList<>();
    if (node == null) {
      return values;
    }
    List<Node> items = r.sequence(node, path);
    for (int i = 0; i < items.size(); i++) {
      String itemPath = path + "[" + i + "]";
      Map<String, Node> m = r.mapping(items.get(i), itemPath, files ? Set.of("inline", "file") : Set.of("inline"));
      if (!files && !m.containsKey("inline")) {
        r.error(items.get(i), itemPath, "'inline' is required: the values, like inline: {replicaCount: 2}");
        continue;
      }
      if (m.size() != 1) {
        if (m.size() > 1) {
          r.error(items.get(i), itemPath, "give exactly one of inline or file per item, not both; list them as two items (later wins)");
        } else if (r.errors().stream().noneMatch(e -> e.path().startsWith(itemPath))) {
          r.error(items.get(i), itemPath, "give exactly one of inline or file, like inline: {replicaCount: 2} or file: values/prod.yaml");
        }
        continue;
      }
      if (m.containsKey("inline")) {
        Node inline = m.get("inline");
        if (!(inline instanceof MappingNode)) {
          // Say only what the node is: its text may be a secret.
          r.error(inline, itemPath + ".inline", "must be a map of values, like inline: {replicaCount: 2}");
          continue;
        }
        values.add(new HelmValues.Inline(yaml(inline)));
      } else {
        r.string(m.get("file"), itemPath + ".file").ifPresent(file -> {
          String problem = ManifestProjectParser.directoryProblem(file);
          if (problem == null && file.endsWith("/")) {
            problem = "ends with '/'; name a values file";
          }
          if (problem != null) {
            r.error(m.get("file"), itemPath + ".file", "'" + file + "' " + problem.replace("the directory", "the values file"));
          } else {
            values.add(new HelmValues.File(ManifestProjectParser.normalized(file)));
          }
        });
      }
    }
    return values;
  }

  /** The mapping as block YAML: Helm reads it as a values file, in its place in the list. */
  private static String yaml(Node mapping) {
    Object value = new StandardConstructor(LoadSettings.builder().build()).constructSingleDocument(Optional.of(mapping));
    return new Dump(DumpSettings.builder().setDefaultFlowStyle(FlowStyle.BLOCK).build()).dumpToString(value);
  }
}
