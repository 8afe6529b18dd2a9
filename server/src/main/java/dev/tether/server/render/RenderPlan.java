package dev.tether.server.render;

import dev.tether.common.config.ManifestSource;
import java.util.List;

/**
 * What a render of {@code source} reads from {@code tree}.
 *
 * @param inputKey a digest of the source settings, the capabilities it reads and every input's path and content:
 *     equal keys render equal output
 */
public record RenderPlan(ProjectTree tree, ManifestSource source, List<ProjectTree.Entry> inputs, String inputKey,
    ClusterCapabilities capabilities) {
  public RenderPlan {
    inputs = List.copyOf(inputs);
  }

  /** A plan whose render does not depend on the cluster. */
  public RenderPlan(ProjectTree tree, ManifestSource source, List<ProjectTree.Entry> inputs, String inputKey) {
    this(tree, source, inputs, inputKey, ClusterCapabilities.NONE);
  }
}
