package dev.tether.server.gitops;

import dev.tether.common.config.GitRef;
import dev.tether.common.config.ManifestProject;
import dev.tether.common.config.ManifestSource;
import dev.tether.server.render.ClusterCapabilities;
import dev.tether.common.gitops.SourceMessages;
import dev.tether.proto.v1.GitRefSpec;
import dev.tether.proto.v1.GitopsAgentMessage;
import dev.tether.proto.v1.GitopsGrpc;
import dev.tether.proto.v1.GitopsServerMessage;
import dev.tether.proto.v1.ManifestsRequest;
import dev.tether.server.configuration.ConfigurationFanOut;
import dev.tether.server.connection.AgentConnections;
import dev.tether.server.connection.AgentDirectory;
import dev.tether.server.connection.OpenCalls;
import dev.tether.server.connection.AgentIdentity;
import dev.tether.server.connection.OutboundStream;
import dev.tether.common.metrics.PrometheusMetrics;
import dev.tether.server.events.ChangeFeed;
import dev.tether.server.events.EventLog;
import dev.tether.server.store.GitopsStateStore;
import dev.tether.server.store.SyncRecord;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The server half of GitOps: one stream per agent and manifest project. */
public final class GitopsService extends GitopsGrpc.GitopsImplBase {
  private static final Logger log = LoggerFactory.getLogger(GitopsService.class);

  private final ManifestDistribution distribution;
  private final ConfigurationFanOut configurations;
  private final GitopsStateStore states;
  private final OpenCalls calls;
  private final Clock clock;
  private final EventLog events;
  private final MeterRegistry meters;
  private final AgentDirectory connections;
  private final SourceCommands commands;
  private final ChangeFeed changes;

  public GitopsService(ManifestDistribution distribution, ConfigurationFanOut configurations, GitopsStateStore states,
      OpenCalls calls, Clock clock, EventLog events, MeterRegistry meters, AgentDirectory connections, SourceCommands commands,
      ChangeFeed changes) {
    this.changes = changes;
    this.commands = commands;
    this.connections = connections;
    this.distribution = distribution;
    this.configurations = configurations;
    this.states = states;
    this.calls = calls;
    this.clock = clock;
    this.events = events;
    this.meters = meters;
  }

  @Override
  public StreamObserver<GitopsAgentMessage> sync(StreamObserver<GitopsServerMessage> responses) {
    AgentIdentity identity = AgentIdentity.current();
    OutboundStream<GitopsServerMessage> toAgent = new OutboundStream<>(responses);
    AutoCloseable registration = calls.register(identity.tokenId(), reason -> toAgent.fail(Status.UNAUTHENTICATED.withDescription(reason)));
    Handler handler = new Handler(identity, toAgent);
    toAgent.onEnd(() -> {
      handler.close();
      OutboundStream.closeQuietly(registration);
    });
    return handler;
  }

  private final class Handler implements StreamObserver<GitopsAgentMessage> {
    private final AgentIdentity identity;
    private final OutboundStream<GitopsServerMessage> toAgent;
    private ManifestStream stream;
    private String inventoryId;
    // The start of the last finished sync seen on this stream: later reports of it only carry health and drift.
    private long lastSyncStarted;
    private SyncRecord lastSync;

    Handler(AgentIdentity identity, OutboundStream<GitopsServerMessage> toAgent) {
      this.identity = identity;
      this.toAgent = toAgent;
    }

    @Override
    public void onNext(GitopsAgentMessage message) {
      if (message.hasRequest()) {
        if (stream != null) {
          toAgent.fail(Status.INVALID_ARGUMENT.withDescription("a gitops stream serves one manifest project; open another stream"));
          return;
        }
        ManifestsRequest request = message.getRequest();
        GitRef ref = ref(request.getRef());
        ManifestSource source = SourceMessages.source(request);
        Optional<ManifestProject> entry = entry(request, ref, source);
        if (entry.isEmpty()) {
          String refused = "manifest project '" + request.getProjectId() + "' (" + ref + ", " + describe(source)
              + (request.getInventoryId().isEmpty() ? "" : ", inventory " + request.getInventoryId()) + ") is not in agent '"
              + identity.agentName() + "''s current configuration";
          log.warn("Refused a gitops stream of agent '{}': {}", identity.agentName(), refused);
          toAgent.fail(Status.PERMISSION_DENIED.withDescription(refused));
          return;
        }
        // Agents of the previous version send no connection id; they predate the role and are served as before.
        if (!request.getConnectionId().isEmpty() && !connections.applies(identity.agentName(), request.getConnectionId())) {
          String refused = "connection " + request.getConnectionId() + " of agent '" + identity.agentName()
              + "' does not apply GitOps: " + connections.applier(identity.agentName())
                  .map(AgentConnections::standbyReason).orElse("it is not connected to this server");
          log.warn("Refused a gitops stream: {}", refused);
          toAgent.fail(Status.FAILED_PRECONDITION.withDescription(refused));
          return;
        }
        inventoryId = entry.get().inventoryIdFor(identity.agentName());
        stream = new ManifestStream(identity, request.getProjectId(), ref, source, inventoryId, toAgent,
            request.getKnownCommit(), request.getKnownDigest(), request.getMaxTotalBytes(), capabilities(identity.agentName(),
            request.getConnectionId(), request.getRunsHooks()), request.getTakesCommands());
        distribution.register(stream);
        distribution.offer(stream);
        commands.opened(stream);
      } else if (message.hasReport() && stream != null) {
        record(SyncRecord.fromWire(message.getReport()));
      }
    }

    /**
     * The entry of the agent's current configuration that the request names: same project, ref and
     * source (paths with their exclusions, or what it renders). An agent of an older version sends no
     * inventory id; its request names the first entry with that project, ref and paths.
     */
    private Optional<ManifestProject> entry(ManifestsRequest request, GitRef ref, ManifestSource source) {
      return listed().stream().filter(p -> p.id().equals(request.getProjectId()) && p.ref().equals(ref)
          && p.source().equals(source) && (request.getInventoryId().isEmpty()
              || p.inventoryIdFor(identity.agentName()).equals(request.getInventoryId()))).findFirst();
    }

    /** The manifest project entries of the agent's current configuration. */
    private List<ManifestProject> listed() {
      return configurations.current(identity.agentName()).map(c -> c.config().gitops().manifestProjects()).orElse(List.of());
    }

    private void record(SyncRecord report) {
      if (listed().stream().noneMatch(p -> p.id().equals(stream.projectId)
          && p.inventoryIdFor(identity.agentName()).equals(inventoryId))) {
        return; // the entry left the configuration (its stream is ending); its report would come back as a ghost
      }
      states.record(identity.agentName(), stream.projectId, inventoryId, report, clock.instant());
      changes.changed(identity.agentName());
      if (report.phase() == SyncRecord.Phase.SYNCING) {
        return;
      }
      if (report.resent()) {
        lastSyncStarted = report.startedUnixMillis();
        lastSync = report;
        return;
      }
      if (report.startedUnixMillis() == lastSyncStarted) {
        healthChanged(lastSync, report);
        if (report.driftCorrected() > lastSync.driftCorrected()) {
          events.warning("drift", identity.agentName(), stream.projectId, (report.driftCorrected() - lastSync.driftCorrected())
              + " object(s) changed in the cluster were put back as Git has them");
        }
        lastSync = report;
        return;
      }
      SyncRecord previous = lastSync;
      lastSyncStarted = report.startedUnixMillis();
      lastSync = report;
      long ms = report.finishedUnixMillis() - report.startedUnixMillis();
      countSync(report, ms);
      log.info("Agent '{}' {} project '{}' at {}: {} applied, {} unchanged, {} pruned, {} failed, {} drift corrected in {} ms{}",
          identity.agentName(), report.phase().apiName(), stream.projectId, shortCommit(report.commit()), report.applied(),
          report.unchanged(), report.pruned(), report.failed(), report.driftCorrected(), ms,
          report.message().isEmpty() ? "" : ": " + report.message());
      if (newsworthy(previous, report)) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("commit", report.commit());
        details.put("phase", report.phase().apiName());
        details.put("applied", report.applied());
        details.put("unchanged", report.unchanged());
        details.put("pruned", report.pruned());
        details.put("failed", report.failed());
        details.put("duration_ms", ms);
        details.put("started_at", java.time.Instant.ofEpochMilli(report.startedUnixMillis()).toString());
        // What changed, one line per object, for the source's history in the web UI (capped: a first sync may apply thousands).
        details.put("changes", report.objects().stream().filter(o -> o.action() != SyncRecord.Action.UNCHANGED
                && o.action() != SyncRecord.Action.SKIPPED).limit(50)
            .map(o -> o.action().apiName() + " " + o.kind() + " " + (o.namespace().isEmpty() ? "" : o.namespace() + "/") + o.name())
            .toList());
        String at = report.commit().isEmpty() ? "" : (report.phase() == SyncRecord.Phase.SYNCED ? " " : " at ")
            + shortCommit(report.commit());
        events.sync(identity.agentName(), stream.projectId, report.phase() == SyncRecord.Phase.SYNCED,
            (report.phase() == SyncRecord.Phase.SYNCED ? "Synced" : "Sync failed") + at + ": "
                + report.applied() + " applied, " + report.pruned() + " pruned, " + report.failed() + " failed"
                + (report.message().isEmpty() ? "" : " (" + report.message() + ")"), details);
      }
    }

    /**
     * Objects of the same sync that turned unhealthy (Failed, for instance not ready within reconcile_timeout)
     * or all healthy again are news: a later report of one sync otherwise only carries them silently.
     */
    private void healthChanged(SyncRecord before, SyncRecord now) {
      if (before == null) {
        return;
      }
      List<SyncRecord.ObjectRecord> unhealthy = now.unhealthy();
      long unhealthyBefore = before.unhealthy().size();
      if (unhealthy.size() > unhealthyBefore) {
        String names = unhealthy.stream().limit(5).map(o -> o.kind() + " " + (o.namespace().isEmpty() ? "" : o.namespace() + "/")
            + o.name() + " (" + o.message() + ")").collect(java.util.stream.Collectors.joining("; "));
        events.warning("health", identity.agentName(), stream.projectId, unhealthy.size() + " object(s) not healthy at "
            + shortCommit(now.commit()) + ": " + names + (unhealthy.size() > 5 ? "; and " + (unhealthy.size() - 5) + " more" : ""));
      } else if (unhealthy.isEmpty() && unhealthyBefore > 0) {
        events.info("health", identity.agentName(), stream.projectId, "All objects healthy again at " + shortCommit(now.commit()));
      }
    }

    private void countSync(SyncRecord report, long ms) {
      Counter.builder("tether.syncs").description("Syncs the agents finished, by result").tag("result", report.phase().apiName())
          .register(meters).increment();
      Timer.builder("tether.sync.duration").description("How long the agents' syncs took")
          .serviceLevelObjectives(PrometheusMetrics.WORK_BUCKETS).register(meters).record(Duration.ofMillis(Math.max(0, ms)));
      objects("applied", report.applied());
      objects("pruned", report.pruned());
      objects("failed", report.failed());
    }

    private void objects(String action, int count) {
      Counter.builder("tether.sync.objects").description("Objects the agents' syncs applied, pruned or failed on")
          .tag("action", action).register(meters).increment(count);
    }

    @Override
    public void onError(Throwable t) {
      close();
    }

    @Override
    public void onCompleted() {
      close();
      toAgent.complete();
    }

    synchronized void close() {
      if (stream != null) {
        distribution.unregister(stream);
      }
    }
  }

  /** What the requesting agent renders for: its cluster's version, and whether it runs hooks. */
  private ClusterCapabilities capabilities(String agentName, String connectionId, boolean runsHooks) {
    ClusterCapabilities reported = reported(agentName, connectionId);
    return runsHooks ? reported : reported.withoutHooks();
  }

  /** The cluster version the requesting connection reported (or, from an agent that sends no connection id, its applier's). */
  private ClusterCapabilities reported(String agentName, String connectionId) {
    return connections.of(agentName).stream().filter(c -> c.id().equals(connectionId)).findFirst()
        .or(() -> connections.applier(agentName))
        .map(c -> ClusterCapabilities.of(c.clusterVersion())).orElse(ClusterCapabilities.NONE);
  }

  private static String describe(ManifestSource source) {
    return source instanceof ManifestSource.Raw raw ? "paths " + raw.paths().stream()
        .map(p -> p.glob() + (p.exclude().isEmpty() ? "" : " except " + p.exclude())).toList() : RenderedSources.describe(source);
  }

  static GitRef ref(GitRefSpec spec) {
    return switch (spec.getKindCase()) {
      case BRANCH -> new GitRef(GitRef.Kind.BRANCH, spec.getBranch());
      case TAG -> new GitRef(GitRef.Kind.TAG, spec.getTag());
      case COMMIT -> new GitRef(GitRef.Kind.COMMIT, spec.getCommit());
      default -> GitRef.defaultBranch();
    };
  }

  /**
   * A periodic resync that found nothing to do is not news for the events feed; a new commit, a
   * change of phase, or any object applied, pruned or failed is.
   */
  static boolean newsworthy(SyncRecord previous, SyncRecord report) {
    return previous == null || !previous.commit().equals(report.commit()) || previous.phase() != report.phase()
        || report.applied() + report.pruned() + report.failed() > 0;
  }

  private static String shortCommit(String commit) {
    return commit.length() > 12 ? commit.substring(0, 12) : commit;
  }
}
