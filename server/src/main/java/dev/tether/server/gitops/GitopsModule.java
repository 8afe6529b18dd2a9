package dev.tether.server.gitops;

import dev.tether.server.ServerContext;
import dev.tether.server.ServerModule;
import dev.tether.server.git.GitPoller;
import dev.tether.server.git.ProjectMirrors;
import dev.tether.server.render.Renderers;
import dev.tether.server.replica.ReplicaRegistry;

/**
 * GitOps: hands each agent's manifest streams what its projects hold (raw, or rendered by Kustomize or
 * Helm) after every fetch, and records what the agents report. Offers {@link SourceStatus.Lookup}
 * for the API's view of rendered sources.
 */
public final class GitopsModule implements ServerModule {
  public GitopsModule(ServerContext context) {
    GitPoller poller = context.part(GitPoller.class);
    ProjectMirrors mirrors = context.part(ProjectMirrors.class);
    Renderers renderers = context.part(Renderers.class);
    RenderedSources rendered = new RenderedSources(RenderedSources.trees(mirrors), renderers.all(), renderers.limits(),
        context.clock(), context.meters(), renderers.recheckRepositories());
    ManifestDistribution manifests = new ManifestDistribution(new ManifestSelector(mirrors, ManifestSelector.Limits.DEFAULT),
        rendered, context.configurations(), context.store().projects(), poller::fetchUnlessRunning);
    poller.keepFetched(manifests::manifestProjects);
    poller.addListener(manifests);
    SourceCommands commands = new SourceCommands(manifests, context.store().gitops(), context.clock(), context.agents(),
        context.replicaId().value(), context.replicas().map(ReplicaRegistry::calls));
    context.agentListener().addService(new GitopsService(manifests, context.configurations(), context.store().gitops(),
        context.calls(), context.clock(), context.events(), context.meters(), context.agents(), commands, context.changes()));
    context.offer(SourceCommands.class, commands);
    context.offer(SourceStatus.Lookup.class, manifests);
    context.offer(DesiredFiles.class, new DesiredFiles(mirrors, manifests));
  }

  @Override
  public String name() {
    return "gitops";
  }
}
