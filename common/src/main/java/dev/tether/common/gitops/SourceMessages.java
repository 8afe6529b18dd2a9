package dev.tether.common.gitops;

import dev.tether.common.config.HelmValues;
import dev.tether.common.config.ManifestPath;
import dev.tether.common.config.ManifestSource;
import dev.tether.proto.v1.HelmSource;
import dev.tether.proto.v1.KustomizeSource;
import dev.tether.proto.v1.ManifestsRequest;
import dev.tether.proto.v1.RenderSource;
import java.util.List;

/**
 * A manifest project entry's source as the agent names it in its request, and back: the server
 * matches the request against the entries of the agent's configuration by it.
 */
public final class SourceMessages {
  private SourceMessages() {}

  /** Sets the request's globs, paths and render source from the entry's source. */
  public static ManifestsRequest.Builder describe(ManifestsRequest.Builder request, ManifestSource source) {
    if (source instanceof ManifestSource.Raw raw) {
      for (ManifestPath path : raw.paths()) {
        request.addGlobs(path.glob());
        request.addPaths(dev.tether.proto.v1.ManifestPath.newBuilder().setGlob(path.glob()).addAllExclude(path.exclude()));
      }
    } else if (source instanceof ManifestSource.Kustomize kustomize) {
      request.setRender(RenderSource.newBuilder().setKustomize(KustomizeSource.newBuilder().setPath(kustomize.path())));
    } else if (source instanceof ManifestSource.Helm helm) {
      HelmSource.Builder message = HelmSource.newBuilder().setChart(helm.chart()).setReleaseName(helm.releaseName())
          .setNamespace(helm.namespace());
      if (helm.fromRepository()) {
        message.setRepository(helm.repository()).setVersion(helm.version());
      }
      for (HelmValues values : helm.values()) {
        message.addValues(values instanceof HelmValues.Inline inline
            ? dev.tether.proto.v1.HelmValues.newBuilder().setInlineYaml(inline.yaml())
            : dev.tether.proto.v1.HelmValues.newBuilder().setFile(((HelmValues.File) values).path()));
      }
      request.setRender(RenderSource.newBuilder().setHelm(message));
    }
    return request;
  }

  /**
   * The source a request names. An agent that predates exclusions and renderers sends only globs,
   * which are raw paths without exclusions.
   */
  public static ManifestSource source(ManifestsRequest request) {
    if (request.hasRender() && request.getRender().hasKustomize()) {
      return new ManifestSource.Kustomize(request.getRender().getKustomize().getPath());
    }
    if (request.hasRender() && request.getRender().hasHelm()) {
      HelmSource helm = request.getRender().getHelm();
      return new ManifestSource.Helm(helm.getChart(), helm.getReleaseName(), helm.getNamespace(), helm.getValuesList().stream()
          .map(v -> v.hasInlineYaml() ? (HelmValues) new HelmValues.Inline(v.getInlineYaml()) : new HelmValues.File(v.getFile()))
          .toList(), helm.getRepository().isEmpty() ? null : helm.getRepository(), helm.getRepository().isEmpty() ? null : helm.getVersion());
    }
    if (request.getPathsCount() > 0) {
      return new ManifestSource.Raw(request.getPathsList().stream()
          .map(p -> new ManifestPath(p.getGlob(), List.copyOf(p.getExcludeList()))).toList());
    }
    return new ManifestSource.Raw(request.getGlobsList().stream().map(ManifestPath::of).toList());
  }
}
