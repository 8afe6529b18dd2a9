package dev.tether.agent.gitops;

import dev.tether.agent.AgentModule;
import dev.tether.agent.connection.GitopsPermission;
import dev.tether.agent.connection.Session;
import dev.tether.agent.connection.SessionStreams;
import dev.tether.common.config.AgentConfig;
import dev.tether.common.config.ManifestProject;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent half of GitOps: one worker per manifest project of the configuration. A new
 * configuration stops only the workers whose project entry changed or went away and starts only
 * the new ones, as the GitLab agent does; the others keep running untouched.
 */
public final class GitopsModule implements AgentModule, SessionStreams {
  private static final Logger log = LoggerFactory.getLogger(GitopsModule.class);

  private final KubernetesClient client;
  private final Reconciler engine;
  private final Clock clock;
  private final Map<ManifestProject, ProjectWorker> workers = new LinkedHashMap<>();
  private final SourceDependencies dependencies = new SourceDependencies();
  private Session session;
  private String agentName;
  private AgentConfig waiting;

  private final SyncMetrics metrics;
  private final GitopsPermission permission;
  private final long maxManifestBytes;
  // Whether the workers' streams are open on the current session: only while this connection applies.
  private boolean streamsOpen;

  public GitopsModule(KubernetesClient client, Clock clock, io.micrometer.core.instrument.MeterRegistry meters,
      GitopsPermission permission, long maxManifestBytes) {
    this.client = client;
    this.clock = clock;
    this.metrics = new SyncMetrics(meters);
    this.permission = permission;
    this.maxManifestBytes = maxManifestBytes;
    this.engine = new Reconciler(new KubeApi(client), new ApiResources(client), new ObjectClaims(), clock);
    permission.onChange(this::permissionChanged);
  }

  private synchronized void permissionChanged(GitopsPermission.Status status) {
    workers.values().forEach(w -> w.permissionChanged(status));
    if (status.applies()) {
      openStreams();
    } else if (status.state() != GitopsPermission.State.DISCONNECTED) {
      closeStreams(); // connected, but this connection may not apply: it must not ask for manifests either
    }
  }

  private void openStreams() {
    if (session != null && !streamsOpen && permission.applies()) {
      streamsOpen = true;
      workers.values().forEach(w -> w.open(session));
    }
  }

  private void closeStreams() {
    streamsOpen = false;
    workers.values().forEach(ProjectWorker::closeStream);
  }

  @Override
  public String name() {
    return "gitops";
  }

  @Override
  public synchronized void configure(AgentConfig config) {
    if (agentName == null) {
      waiting = config; // inventory ids need the agent's name, which the first session brings
      return;
    }
    List<ManifestProject> wanted = config.gitops().manifestProjects();
    workers.entrySet().removeIf(e -> {
      if (!wanted.contains(e.getKey())) {
        log.info("gitops {}: no longer configured (or changed); stopping its worker", e.getKey().id());
        dependencies.remove(e.getValue());
        e.getValue().close();
        return true;
      }
      return false;
    });
    for (ManifestProject project : wanted) {
      if (!workers.containsKey(project)) {
        String inventoryId = project.inventoryIdFor(agentName);
        ProjectWorker worker = new ProjectWorker(project, project.id(), engine,
            new Inventory(inventoryId, project.defaultNamespace(), engine.api(), project.fieldManager()), client, clock, metrics,
            permission, maxManifestBytes, dependencies);
        workers.put(project, worker);
        dependencies.add(worker);
        log.info("gitops {}: worker started ({}, inventory {})", project.id(), project.ref(), inventoryId);
        if (streamsOpen) {
          worker.open(session);
        }
      }
    }
  }

  @Override
  public synchronized AutoCloseable open(Session newSession) {
    session = newSession;
    agentName = newSession.agentName();
    streamsOpen = false;
    openStreams();
    if (waiting != null) {
      AgentConfig config = waiting;
      waiting = null;
      configure(config);
    }
    return () -> {
      synchronized (GitopsModule.this) {
        session = null;
        closeStreams();
      }
    };
  }

  /** The last sync of a manifest project, with the latest health and drift. */
  public synchronized Optional<SyncOutcome> outcome(String projectId) {
    return workers.entrySet().stream().filter(e -> e.getKey().id().equals(projectId)).findFirst()
        .flatMap(e -> e.getValue().outcome());
  }

  /** Syncs a manifest project's current manifests again now, as a periodic resync would. */
  public synchronized java.util.concurrent.CompletableFuture<SyncOutcome> resyncNow(String projectId) {
    return workers.entrySet().stream().filter(e -> e.getKey().id().equals(projectId)).findFirst()
        .map(e -> e.getValue().resyncNow())
        .orElseGet(() -> java.util.concurrent.CompletableFuture.failedFuture(
            new IllegalArgumentException("no manifest project '" + projectId + "' in the configuration")));
  }

  public synchronized void close() {
    workers.values().forEach(ProjectWorker::close);
    workers.clear();
  }
}
