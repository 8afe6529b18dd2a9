package dev.tether.common.config;

import java.util.List;

/**
 * Where a manifest project entry's objects come from: files selected by globs, or the output of a
 * renderer run on the server. The agent's engine treats both the same way.
 */
public sealed interface ManifestSource permits ManifestSource.Raw, ManifestSource.Kustomize, ManifestSource.Helm {

  /** The kinds of source, as the status and the API name them. */
  enum Kind { RAW, KUSTOMIZE, HELM }

  Kind kind();

  /** What the source renders, for status: the overlay path, or null for raw files. */
  String renders();

  /** What the source renders as the status shows it: {@link #renders()}, with more where a kind has more to say. */
  default String summary() {
    return renders();
  }

  /** Files of the project selected by {@code paths}. */
  record Raw(List<ManifestPath> paths) implements ManifestSource {
    public Raw {
      paths = List.copyOf(paths);
    }

    @Override
    public Kind kind() {
      return Kind.RAW;
    }

    @Override
    public String renders() {
      return null;
    }
  }

  /**
   * The output of {@code kustomize build} of a directory of the project.
   *
   * @param path the directory holding the kustomization file, relative to the project root ({@code .} for the root)
   */
  record Kustomize(String path) implements ManifestSource {
    @Override
    public Kind kind() {
      return Kind.KUSTOMIZE;
    }

    @Override
    public String renders() {
      return path;
    }
  }

  /**
   * The output of {@code helm template} of a chart: a directory of the project, or a chart of a
   * Helm repository ({@code https://} with an index.yaml, or an OCI registry, {@code oci://}).
   *
   * @param chart the chart directory (holding Chart.yaml), relative to the project root; with a
   *     repository, the chart's name in it
   * @param releaseName the release name ({@code .Release.Name})
   * @param namespace the release namespace ({@code .Release.Namespace})
   * @param values values in the order Helm takes them, later wins: as {@code -f a.yaml -f b.yaml}
   * @param repository the chart repository's URL, or null for a chart directory of the project
   * @param version with a repository, the chart version or range (Helm's syntax); null otherwise
   */
  record Helm(String chart, String releaseName, String namespace, List<HelmValues> values, String repository, String version)
      implements ManifestSource {
    public Helm {
      values = List.copyOf(values);
    }

    /** A chart directory of the project. */
    public Helm(String chart, String releaseName, String namespace, List<HelmValues> values) {
      this(chart, releaseName, namespace, values, null, null);
    }

    /** Whether the chart comes from a chart repository rather than from the project. */
    public boolean fromRepository() {
      return repository != null;
    }

    @Override
    public Kind kind() {
      return Kind.HELM;
    }

    @Override
    public String renders() {
      return chart;
    }

    @Override
    public String summary() {
      return fromRepository()
          ? chart + " " + version + " from " + repository + " (release " + releaseName + ")"
          : chart + " (release " + releaseName + ")";
    }
  }
}
