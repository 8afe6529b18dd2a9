package dev.tether.common.config;

import java.util.List;

/**
 * Where a manifest project entry's objects come from: files selected by globs, or the output of a
 * renderer run on the server. The agent's engine treats both the same way.
 */
public sealed interface ManifestSource permits ManifestSource.Raw, ManifestSource.Kustomize {

  /** The kinds of source, as the status and the API name them. */
  enum Kind { RAW, KUSTOMIZE }

  Kind kind();

  /** What the source renders, for status: the overlay path, or null for raw files. */
  String renders();

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
}
