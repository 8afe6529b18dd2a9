package dev.tether.server.gitops;

import dev.tether.common.config.ManifestProject;
import dev.tether.common.config.ManifestSource;
import dev.tether.server.configuration.ConfigurationFanOut;
import dev.tether.server.configuration.ConfigurationUpdate;
import dev.tether.server.git.FetchOutcome;
import dev.tether.server.git.GitPoller;
import dev.tether.server.git.RepositoryFileException;
import dev.tether.server.store.Project;
import dev.tether.server.store.ProjectFetch;
import dev.tether.server.store.ProjectStore;
import java.util.Optional;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Hands each open manifest stream the selection its ref and globs make, on connect and after every
 * fetch of its project, and tells it when the project cannot be fetched.
 */
public final class ManifestDistribution implements GitPoller.Listener, SourceStatus.Lookup {
  private final ManifestSelector selector;
  private final RenderedSources rendered;
  private final ConfigurationFanOut configurations;
  private final ProjectStore projects;
  private final Map<String, Set<ManifestStream>> byProject = new ConcurrentHashMap<>();
  private final Consumer<String> fetchFirst;

  /** @param fetchFirst starts the first fetch of a project that a stream waits for (unless one runs) */
  public ManifestDistribution(ManifestSelector selector, RenderedSources rendered, ConfigurationFanOut configurations,
      ProjectStore projects, Consumer<String> fetchFirst) {
    this.fetchFirst = fetchFirst;
    this.selector = selector;
    this.rendered = rendered;
    this.configurations = configurations;
    this.projects = projects;
  }

  /** Manifest projects to keep fetched: those in the current configuration of any agent. */
  public Set<String> manifestProjects() {
    return configurations.all().stream()
        .map(ConfigurationUpdate::config)
        .flatMap(c -> c.gitops().manifestProjects().stream())
        .map(ManifestProject::id)
        .collect(Collectors.toSet());
  }

  void register(ManifestStream stream) {
    byProject.computeIfAbsent(stream.projectId, k -> ConcurrentHashMap.newKeySet()).add(stream);
  }

  void unregister(ManifestStream stream) {
    byProject.computeIfPresent(stream.projectId, (k, set) -> {
      set.remove(stream);
      return set.isEmpty() ? null : set;
    });
  }

  /** Sends the stream what its project's mirror holds now, if the project has been fetched. */
  void offer(ManifestStream stream) {
    if (projects.find(stream.projectId).isEmpty()) {
      stream.offerError(null, "project '" + stream.projectId + "' does not exist on the server; add it with "
          + "`tether admin project add " + stream.projectId + " --url <git-url>`");
      return;
    }
    Optional<ProjectFetch> fetch = projects.lastFetch(stream.projectId);
    if (fetch.flatMap(ProjectFetch::succeededAt).isEmpty()) {
      // Never fetched: pass on why it fails, or fetch it now rather than at the next poll round; the fetch then offers it.
      fetch.flatMap(ProjectFetch::error).ifPresentOrElse(error -> stream.offerError(null, error),
          () -> fetchFirst.accept(stream.projectId));
      return;
    }
    if (!selector.mirrored(stream.projectId)) {
      // Fetched, but by another server replica: this one's mirror follows now rather than when it next polls.
      fetchFirst.accept(stream.projectId);
      return;
    }
    String commit = null;
    try {
      commit = selector.resolve(stream.projectId, stream.ref);
      if (stream.source instanceof ManifestSource.Raw raw) {
        stream.offer(selector.select(stream.projectId, commit, raw.paths()));
      } else {
        stream.offer(rendered.render(stream.projectId, commit, stream.source, stream.capabilities));
      }
    } catch (RepositoryFileException e) {
      stream.offerError(commit, e.getMessage());
    }
  }

  @Override
  public Optional<SourceStatus> of(String agentName, String inventoryId) {
    Optional<ManifestSource> source = configurations.current(agentName).stream()
        .flatMap(c -> c.config().gitops().manifestProjects().stream())
        .filter(p -> p.inventoryIdFor(agentName).equals(inventoryId)).map(ManifestProject::source).findFirst();
    RenderedSources.Outcome render = lastRender(agentName, inventoryId).orElse(null);
    return source.map(s -> new SourceStatus(s.kind().name().toLowerCase(java.util.Locale.ROOT), s.summary(),
        render == null ? null : render.renderedAt(), render == null ? null : render.commit(), render == null ? null : render.error(),
        render == null ? null : render.resolved()));
  }

  /** The open streams of an agent's entry (one, unless a stream is being replaced). */
  java.util.List<ManifestStream> streams(String agentName, String inventoryId) {
    return byProject.values().stream().flatMap(Set::stream)
        .filter(s -> s.agent.agentName().equals(agentName) && s.inventoryId.equals(inventoryId)).toList();
  }

  /** The last render offered to the agent's entry, while its stream is open. */
  Optional<RenderedSources.Outcome> lastRender(String agentName, String inventoryId) {
    return byProject.values().stream().flatMap(Set::stream)
        .filter(s -> s.agent.agentName().equals(agentName) && s.inventoryId.equals(inventoryId))
        .map(ManifestStream::lastRender).filter(java.util.Objects::nonNull).findFirst();
  }

  @Override
  public void fetched(Project project, FetchOutcome outcome) {
    for (ManifestStream stream : byProject.getOrDefault(project.id(), Set.of())) {
      offer(stream);
    }
  }

  @Override
  public void fetchFailed(Project project, String message) {
    for (ManifestStream stream : byProject.getOrDefault(project.id(), Set.of())) {
      stream.offerError(null, message);
    }
  }
}
