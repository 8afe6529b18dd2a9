package dev.tether.server.render;

import dev.tether.common.config.ManifestSource;
import java.util.List;

/**
 * What a render of {@code source} reads from {@code tree}.
 *
 * @param inputKey a digest of the source settings, the capabilities it reads and every input's path and content:
 *     equal keys render equal output
 * @param archives chart archives the render unpacks (a chart from a repository, fetched dependencies, packaged
 *     subcharts of the project), each with its digest in {@code inputKey}
 * @param resolved what was resolved outside the project for status, like {@code podinfo 6.5.3 from https://...};
 *     null when everything comes from the project
 * @param fromRepositories whether the plan read a chart repository, so that ranges are resolved again after a while
 */
public record RenderPlan(ProjectTree tree, ManifestSource source, List<ProjectTree.Entry> inputs, String inputKey,
    ClusterCapabilities capabilities, List<ChartArchiveInput> archives, String resolved, boolean fromRepositories) {
  public RenderPlan {
    inputs = List.copyOf(inputs);
    archives = List.copyOf(archives);
  }

  public RenderPlan(ProjectTree tree, ManifestSource source, List<ProjectTree.Entry> inputs, String inputKey,
      ClusterCapabilities capabilities) {
    this(tree, source, inputs, inputKey, capabilities, List.of(), null, false);
  }

  /** A plan whose render does not depend on the cluster. */
  public RenderPlan(ProjectTree tree, ManifestSource source, List<ProjectTree.Entry> inputs, String inputKey) {
    this(tree, source, inputs, inputKey, ClusterCapabilities.NONE);
  }
}
