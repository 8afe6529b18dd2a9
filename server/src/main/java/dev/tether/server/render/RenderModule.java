package dev.tether.server.render;

import dev.tether.server.ServerContext;
import dev.tether.server.ServerModule;
import dev.tether.server.charts.ChartRepositories;
import dev.tether.server.store.ChartRepository;

/**
 * Rendering on the server: Kustomize overlays and Helm charts, with charts from repositories and OCI
 * registries. Offers {@link Renderers} to the GitOps module, which renders the sources agents ask for.
 */
public final class RenderModule implements ServerModule {
  public RenderModule(ServerContext context) {
    // Chart repositories are reached under the same host rules as Git hosts, with the credentials the store holds sealed.
    ChartRepositories.Settings chartSettings = ChartRepositories.Settings.DEFAULT.withIndexTtl(context.settings().chartRecheckInterval());
    ChartRepositories charts = new ChartRepositories(context.dataDir().resolve("charts"), context.settings().gitUrls(),
        url -> context.store().chartRepositories().find(url).map(ChartRepository::credentials),
        chartSettings, context.clock());
    context.offer(Renderers.class, new Renderers(java.util.List.of(
        new KustomizeRenderer(new KustomizeProgram(context.settings().kustomizePath()), context.dataDir().resolve("render"),
            RenderLimits.DEFAULT),
        new HelmRenderer(context.dataDir().resolve("helm-render"), RenderLimits.DEFAULT, charts)),
        RenderLimits.DEFAULT, chartSettings.indexTtl()));
  }

  @Override
  public String name() {
    return "render";
  }
}
