package dev.tether.server.render;

import dev.tether.common.config.ManifestSource;

/**
 * Turns one kind of source into manifests, in two steps: a cheap, checked plan of what the render
 * reads (so that a commit that changes none of it is not rendered again), then the render itself.
 * Each kind of source (Kustomize, Helm) has its own.
 */
public interface Renderer {
  ManifestSource.Kind kind();

  /**
   * Checks the source at the tree's commit and lists what rendering it reads; refuses, naming the
   * file and field, what may not be rendered (anything outside the project, a remote, a program).
   */
  RenderPlan plan(ProjectTree tree, ManifestSource source) throws RenderException;

  /**
   * The plan for a cluster with these capabilities. Only a renderer that {@link #readsCapabilities()}
   * looks at them; the others render the same for every cluster.
   */
  default RenderPlan plan(ProjectTree tree, ManifestSource source, ClusterCapabilities capabilities) throws RenderException {
    return plan(tree, source);
  }

  /** Whether the output depends on the cluster (Helm's .Capabilities): then each cluster version renders on its own. */
  default boolean readsCapabilities() {
    return false;
  }

  /** Renders a plan into YAML documents. */
  byte[] render(RenderPlan plan) throws RenderException;
}
