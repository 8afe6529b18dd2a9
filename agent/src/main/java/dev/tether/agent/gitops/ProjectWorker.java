package dev.tether.agent.gitops;

import dev.tether.agent.connection.GitopsPermission;
import dev.tether.agent.connection.Session;
import dev.tether.agent.gitops.ManifestParser.ManifestFile;
import dev.tether.common.config.GitRef;
import dev.tether.common.config.ManifestProject;
import dev.tether.common.gitops.SourceMessages;
import dev.tether.proto.v1.GitRefSpec;
import dev.tether.proto.v1.GitopsAgentMessage;
import dev.tether.proto.v1.GitopsGrpc;
import dev.tether.proto.v1.GitopsServerMessage;
import dev.tether.proto.v1.ManifestsRequest;
import dev.tether.proto.v1.SyncReport;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one manifest project applied: receives its manifests over a gitops stream, syncs each new
 * set on its own thread, syncs again every resync_interval, watches what it applied for drift and
 * health, and reports every sync to the server. It outlives sessions: after a reconnect it tells the
 * server what it has, so nothing is sent or applied again for nothing. It writes to the cluster
 * only while {@link GitopsPermission} allows: a sync stops before its next write when the session
 * ends or a newer commit arrives, and a failed sync is tried again with a backoff.
 */
final class ProjectWorker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ProjectWorker.class);
  private static final long DRIFT_DELAY_MILLIS = 300;
  private static final long REPORT_DELAY_MILLIS = 1000;
  private static final long RESUME_DELAY_MILLIS = 1000;
  private static final Duration FIRST_RETRY = Duration.ofSeconds(5);
  private static final Duration LONGEST_RETRY = Duration.ofMinutes(5);

  private final ManifestProject project;
  private final String name;
  private final SyncEngine engine;
  private final Inventory inventory;
  private final KubernetesClient client;
  private final Clock clock;
  private final ScheduledExecutorService thread;
  private final Map<String, SharedIndexInformer<GenericKubernetesResource>> watches = new ConcurrentHashMap<>();
  private final Set<ObjectKey> driftPending = ConcurrentHashMap.newKeySet();

  // Touched only on the worker's thread.
  private Manifests latest;
  private volatile SyncOutcome outcome;
  // Results of the last sync, updated by drift and health events; read by status from other threads.
  private final Map<ObjectKey, ObjectResult> current = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
  private int driftCorrected;
  private ScheduledFuture<?> pendingReport;
  private ScheduledFuture<?> healthDeadline;
  // Why the server could not send the newest commit; shown until a commit succeeds (worker thread).
  private String refusal;
  private ScheduledFuture<?> retry;
  private Duration nextRetry = FIRST_RETRY;
  private ScheduledFuture<?> resume;

  // The stream of the current session, if any.
  private volatile ClientCallStreamObserver<GitopsAgentMessage> stream;
  private volatile boolean closed;

  /** A complete set of manifests at a commit. */
  private record Manifests(String commit, String digest, List<ManifestFile> files) {}

  private final SyncMetrics metrics;
  private final GitopsPermission permission;
  private final long maxManifestBytes;

  ProjectWorker(ManifestProject project, String name, SyncEngine engine, Inventory inventory, KubernetesClient client, Clock clock,
      SyncMetrics metrics, GitopsPermission permission, long maxManifestBytes) {
    this.metrics = metrics;
    this.permission = permission;
    this.maxManifestBytes = maxManifestBytes;
    this.project = project;
    this.name = name;
    this.engine = engine;
    this.inventory = inventory;
    this.client = client;
    this.clock = clock;
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "gitops " + project.id());
      t.setDaemon(true);
      return t;
    });
    long every = project.resyncInterval().toMillis();
    thread.scheduleWithFixedDelay(this::resync, every, every, TimeUnit.MILLISECONDS);
  }

  /** Opens this project's stream on a new session and asks for manifests. */
  void open(Session session) {
    ManifestsRequest.Builder request = ManifestsRequest.newBuilder().setProjectId(project.id()).setInventoryId(inventory.id())
        .setRef(refSpec(project.ref())).setConnectionId(session.connectionId())
        .setMaxTotalBytes(maxManifestBytes);
    SourceMessages.describe(request, project.source());
    Manifests known = latestSeen;
    if (known != null) {
      request.setKnownCommit(known.commit()).setKnownDigest(known.digest());
    }
    Receiver receiver = new Receiver(session);
    session.stub(GitopsGrpc::newStub).sync(receiver);
    ClientCallStreamObserver<GitopsAgentMessage> opened = receiver.requests;
    synchronized (opened) {
      opened.onNext(GitopsAgentMessage.newBuilder().setRequest(request).build());
    }
    stream = opened;
    // A server that restarted (or another replica) learns the last sync's state now, not at the next sync.
    thread.execute(() -> sendReport(outcome, driftCorrected, true));
  }

  /**
   * This process may apply again, or no longer. A sync in progress notices before its next write; on
   * regaining the role the last manifests are synced again soon, to put back what changed meanwhile,
   * unless the server sends newer ones first.
   */
  void permissionChanged(GitopsPermission.Status status) {
    if (!status.applies() || closed) {
      return;
    }
    try {
      thread.execute(() -> {
        if (resume != null) {
          resume.cancel(false);
        }
        resume = thread.schedule(() -> {
          resume = null;
          if (latest != null && !closed) {
            sync("this connection applies again");
          }
        }, RESUME_DELAY_MILLIS, TimeUnit.MILLISECONDS);
      });
    } catch (java.util.concurrent.RejectedExecutionException stopping) {
      // the worker stopped meanwhile
    }
  }

  /** Ends this project's stream (the session ended); syncs and watches go on. */
  void closeStream() {
    ClientCallStreamObserver<GitopsAgentMessage> s = stream;
    stream = null;
    if (s != null) {
      s.cancel("session ended", null);
    }
  }

  // The last manifests received, readable from gRPC threads for the next request.
  private volatile Manifests latestSeen;

  /** Receives one stream's messages and assembles manifest sets. */
  private final class Receiver implements ClientResponseObserver<GitopsAgentMessage, GitopsServerMessage> {
    private final Session session;
    ClientCallStreamObserver<GitopsAgentMessage> requests;
    private String commit;
    private String digest;
    private List<ManifestFile> files;
    private long oversized;

    Receiver(Session session) {
      this.session = session;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<GitopsAgentMessage> requestStream) {
      requests = requestStream;
    }

    @Override
    public void onNext(GitopsServerMessage message) {
      switch (message.getKindCase()) {
        case HEADER -> {
          commit = message.getHeader().getCommit();
          digest = message.getHeader().getDigest();
          if (message.getHeader().getUnchanged()) {
            String moved = commit;
            String sameDigest = digest;
            thread.execute(() -> commitMoved(moved, sameDigest));
            files = null;
          } else if (maxManifestBytes > 0 && message.getHeader().getTotalBytes() > maxManifestBytes) {
            // A server of the previous version does not know the limit: refuse here, before holding any of it.
            oversized = message.getHeader().getTotalBytes();
            files = null;
          } else {
            oversized = 0;
            files = new ArrayList<>(message.getHeader().getFileCount());
          }
        }
        case FILES -> {
          if (files != null) {
            message.getFiles().getFilesList().forEach(f -> files.add(new ManifestFile(f.getPath(), f.getContent().toByteArray())));
          }
        }
        case END -> {
          if (oversized > 0) {
            String at = commit;
            String problem = tooLarge(oversized);
            oversized = 0;
            thread.execute(() -> unavailable(at, problem));
          } else if (files != null) {
            Manifests set = new Manifests(commit, digest, List.copyOf(files));
            latestSeen = set;
            files = null;
            thread.execute(() -> received(set));
          }
        }
        case ERROR -> {
          String problem = message.getError().getMessage();
          String at = message.getError().getCommit();
          thread.execute(() -> unavailable(at, problem));
        }
        default -> { }
      }
    }

    @Override
    public void onError(Throwable t) {
      Status status = Status.fromThrowable(t);
      if (status.getCode() == Status.Code.PERMISSION_DENIED) {
        // The server has not caught up with a configuration change yet; the next session asks again.
        log.warn("gitops {}: {}", project.id(), status.getDescription());
      }
      if (status.getCode() != Status.Code.CANCELLED) {
        session.fail(t);
      }
    }

    @Override
    public void onCompleted() {
      session.fail(Status.UNAVAILABLE.withDescription("the server ended the gitops stream of " + project.id()).asRuntimeException());
    }
  }

  private String tooLarge(long bytes) {
    return "the selected files are " + bytes + " bytes together; this agent takes at most " + maxManifestBytes
        + " bytes per manifest project (--max-manifest-bytes, by default an eighth of its heap): give the agent more memory, "
        + "raise the limit, or select fewer files";
  }

  private void received(Manifests set) {
    if (closed || set != latestSeen) {
      return; // a newer set arrived meanwhile; sync that one
    }
    latest = set;
    refusal = null;
    nextRetry = FIRST_RETRY;
    sync("new commit");
  }

  private void commitMoved(String commit, String digest) {
    if (latest != null && latest.digest().equals(digest)) {
      refusal = null;
      latest = new Manifests(commit, digest, latest.files());
      latestSeen = latest;
      if (outcome != null) {
        outcome = new SyncOutcome(commit, outcome.phase(), outcome.message(), outcome.objects(), outcome.started(),
            outcome.finished(), outcome.inventory(), outcome.desired());
        report();
      }
    }
  }

  private void unavailable(String commit, String problem) {
    log.warn("gitops {}: manifests unavailable, nothing applied or pruned: {}", project.id(), problem);
    String at = commit == null || commit.isEmpty() ? (latest == null ? "" : latest.commit()) : commit;
    refusal = (at.isEmpty() ? "" : "commit " + shortCommit(at) + ": ") + problem;
    outcome = new SyncOutcome(at, "failed", "manifests unavailable, nothing applied or pruned: " + problem,
        outcome == null ? List.of() : outcome.objects(), clock.instant(), clock.instant(), inventory.describe(),
        outcome == null ? Map.of() : outcome.desired());
    report();
  }

  private void resync() {
    if (latest != null && !closed) {
      sync("periodic resync");
    }
  }

  private void sync(String why) {
    if (retry != null) {
      retry.cancel(false);
      retry = null;
    }
    if (resume != null) {
      resume.cancel(false);
      resume = null;
    }
    if (!permission.applies()) {
      log.debug("gitops {}: {} not run: {}", project.id(), why, permission.refusal());
      return; // resumed when this process may apply again
    }
    Manifests syncing = latest;
    StopSignal stop = () -> {
      if (closed) {
        return "the manifest project's worker stopped";
      }
      String refused = permission.refusal();
      if (refused != null) {
        return refused;
      }
      Manifests newer = latestSeen;
      return newer != syncing && newer != null ? "commit " + shortCommit(newer.commit()) + " arrived and is synced next" : null;
    };
    sendReport(new SyncOutcome(syncing.commit(), "syncing", why, List.of(), clock.instant(), clock.instant(), inventory.describe(),
        Map.of()), 0);
    SyncOutcome result;
    try {
      result = engine.sync(syncing.commit(), syncing.files(), project, inventory, name, stop);
    } catch (RuntimeException e) {
      // One line with the reason; the stack trace is for debugging only.
      log.warn("gitops {}: sync of {} failed: {}", project.id(), shortCommit(syncing.commit()), e.toString());
      log.debug("gitops {}: sync failure", project.id(), e);
      result = new SyncOutcome(syncing.commit(), "failed", "internal error: " + e, List.of(), clock.instant(), clock.instant(),
          inventory.describe(), Map.of());
    }
    String stoppedBy = stop.reason();
    if (stoppedBy != null && !result.phase().equals("synced")) {
      log.info("gitops {}@{} ({}): stopped: {}", project.id(), shortCommit(syncing.commit()), why, stoppedBy);
      // Whatever stopped it brings the next sync: a newer commit, or this process applying again.
      return;
    }
    if (refusal != null && result.phase().equals("synced")) {
      // The cluster holds the last commit the server could send, but not the newest: that is not "synced".
      result = new SyncOutcome(result.commit(), "failed", "the newest commit cannot be synced: " + refusal + ". The cluster "
          + "still holds " + shortCommit(result.commit()) + ", synced again " + why, result.objects(), result.started(),
          result.finished(), result.inventory(), result.desired());
    }
    synchronized (current) {
      current.clear();
      result.objects().forEach(o -> current.put(o.key(), o));
    }
    outcome = result;
    metrics.finished(result);
    long ms = result.finished().toEpochMilli() - result.started().toEpochMilli();
    String line = String.format("gitops %s@%s (%s): %s in %d ms: %d created, %d configured, %d unchanged, %d pruned, %d failed%s",
        project.id(), shortCommit(result.commit()), why, result.phase(), ms, result.count("created"), result.count("configured"),
        result.count("unchanged"), result.count("pruned"), result.count("failed"),
        result.message().isEmpty() ? "" : ": " + result.message());
    if (result.phase().equals("synced")) {
      log.info(line);
    } else {
      log.warn(line);
    }
    if (!result.desired().isEmpty() || result.phase().equals("synced")) {
      watch(result.desired());
    }
    if (healthDeadline != null) {
      healthDeadline.cancel(false);
    }
    healthDeadline = thread.schedule(this::reconcileTimedOut, project.reconcileTimeout().toMillis(), TimeUnit.MILLISECONDS);
    // Every finished sync reaches the server (its events, timeline and metrics count each one); only the
    // health and drift changes that follow are coalesced.
    if (pendingReport != null) {
      pendingReport.cancel(false);
    }
    sendReport(outcome, driftCorrected);
    scheduleRetry(result);
  }

  /**
   * A failed sync (the API server down, a webhook refusing) is tried again soon rather than at the next
   * resync_interval, with a doubling delay; a commit the server refused waits for the server instead.
   */
  private void scheduleRetry(SyncOutcome result) {
    if (result.phase().equals("synced")) {
      nextRetry = FIRST_RETRY;
      return;
    }
    if (refusal != null || closed) {
      return;
    }
    Duration delay = nextRetry;
    Duration cap = project.resyncInterval().compareTo(LONGEST_RETRY) < 0 ? project.resyncInterval() : LONGEST_RETRY;
    nextRetry = delay.multipliedBy(2).compareTo(cap) > 0 ? cap : delay.multipliedBy(2);
    log.info("gitops {}: trying again in {} s", project.id(), delay.toSeconds());
    retry = thread.schedule(() -> {
      retry = null;
      if (latest != null && !closed) {
        sync("retry after a failed sync");
      }
    }, delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** What has not become Current within reconcile_timeout of its sync is reported as failed. */
  private void reconcileTimedOut() {
    boolean changed = false;
    synchronized (current) {
      for (Map.Entry<ObjectKey, ObjectResult> e : current.entrySet()) {
        ObjectResult r = e.getValue();
        if (r.health().equals("InProgress") || r.health().equals("Unknown")) {
          e.setValue(new ObjectResult(r.key(), r.version(), r.action(), "Failed", "not Current within reconcile_timeout ("
              + dev.tether.common.config.GoDuration.format(project.reconcileTimeout()) + "): " + r.message(), r.file()));
          changed = true;
        }
      }
    }
    if (changed) {
      log.warn("gitops {}: some objects did not become ready within reconcile_timeout {}", project.id(),
          dev.tether.common.config.GoDuration.format(project.reconcileTimeout()));
      report();
    }
  }

  /** Syncs the current manifests again now; completes with the outcome. */
  java.util.concurrent.CompletableFuture<SyncOutcome> resyncNow() {
    java.util.concurrent.CompletableFuture<SyncOutcome> done = new java.util.concurrent.CompletableFuture<>();
    thread.execute(() -> {
      if (latest == null) {
        done.completeExceptionally(new IllegalStateException("no manifests received yet for " + project.id()));
        return;
      }
      if (!permission.applies()) {
        done.completeExceptionally(new IllegalStateException("this agent process does not apply now: " + permission.refusal()));
        return;
      }
      sync("requested");
      done.complete(outcome().orElseThrow());
    });
    return done;
  }

  /** Watches every type and namespace of what was applied, for drift and health. */
  private void watch(Map<ObjectKey, SyncOutcome.Desired> desired) {
    Map<String, ResourceType> wanted = new HashMap<>();
    Map<String, String> namespaceOf = new HashMap<>();
    desired.forEach((key, d) -> {
      String id = d.type().apiVersion() + "/" + d.type().plural() + "@" + key.namespace();
      wanted.put(id, d.type());
      namespaceOf.put(id, key.namespace());
    });
    watches.keySet().removeIf(id -> {
      if (!wanted.containsKey(id)) {
        watches.get(id).stop();
        return true;
      }
      return false;
    });
    wanted.forEach((id, type) -> watches.computeIfAbsent(id, k -> inform(type, namespaceOf.get(id))));
  }

  private SharedIndexInformer<GenericKubernetesResource> inform(ResourceType type, String namespace) {
    ResourceDefinitionContext context = new ResourceDefinitionContext.Builder().withGroup(type.group())
        .withVersion(type.version()).withKind(type.kind()).withPlural(type.plural()).withNamespaced(type.namespaced()).build();
    var resources = client.genericKubernetesResources(context);
    var scoped = namespace.isEmpty() ? resources : resources.inNamespace(namespace);
    return scoped.inform(new ResourceEventHandler<>() {
      @Override
      public void onAdd(GenericKubernetesResource object) {
        observed(object, false);
      }

      @Override
      public void onUpdate(GenericKubernetesResource old, GenericKubernetesResource object) {
        observed(object, false);
      }

      @Override
      public void onDelete(GenericKubernetesResource object, boolean finalStateUnknown) {
        observed(object, true);
      }
    });
  }

  /** An event about a watched object: compare it with Git (cheaply, on the event thread) and act on the worker thread. */
  @SuppressWarnings("unchecked")
  private void observed(GenericKubernetesResource object, boolean deleted) {
    SyncOutcome last = outcome;
    if (last == null || closed) {
      return;
    }
    String group = object.getApiVersion().contains("/") ? object.getApiVersion().substring(0, object.getApiVersion().indexOf('/')) : "";
    ObjectKey key = new ObjectKey(group, object.getKind(), object.getMetadata().getNamespace(), object.getMetadata().getName());
    SyncOutcome.Desired desired = last.desired().get(key);
    if (desired == null) {
      return;
    }
    Map<String, Object> live = client.getKubernetesSerialization().convertValue(object, Map.class);
    Optional<String> difference = deleted ? Optional.of("the object was deleted") : FieldComparison.firstDifference(desired.content(), live);
    Health health = deleted ? Health.notFound() : Health.of(live);
    try {
      thread.execute(() -> healthChanged(key, health));
      if (difference.isPresent() && driftPending.add(key)) {
        thread.schedule(() -> drifted(key), DRIFT_DELAY_MILLIS, TimeUnit.MILLISECONDS);
      }
    } catch (java.util.concurrent.RejectedExecutionException stopping) {
      // the worker stopped while the event was on its way
    }
  }

  private void healthChanged(ObjectKey key, Health health) {
    ObjectResult r = current.get(key);
    if (r != null && !r.health().equals(health.statusName())) {
      // A failure or drift message says more than the health message; keep it.
      boolean keepMessage = r.failed() || r.action().equals("drifted") || r.message().startsWith("drift corrected");
      current.put(key, new ObjectResult(r.key(), r.version(), r.action(), health.statusName(),
          keepMessage ? r.message() : health.message(), r.file()));
      report();
    }
  }

  /** Checks a drifted object against the live state now and puts it back (drift: correct) or reports it. */
  private void drifted(ObjectKey key) {
    driftPending.remove(key);
    SyncOutcome last = outcome;
    SyncOutcome.Desired desired = last == null ? null : last.desired().get(key);
    if (desired == null || closed || !permission.applies()) {
      return; // found again by the sync that follows when this process may apply again
    }
    Optional<Map<String, Object>> live = KubeApi.join(engine.api().get(desired.type(), key.namespace(), key.name()));
    Optional<String> difference = live.isEmpty() ? Optional.of("the object was deleted")
        : FieldComparison.firstDifference(desired.content(), live.get()).map(path -> "field " + path + " differs from Git");
    if (difference.isEmpty()) {
      return;
    }
    ObjectResult r = current.get(key);
    if (project.drift() == ManifestProject.Drift.REPORT) {
      current.put(key, new ObjectResult(key, desired.type().version(), "drifted", r == null ? "" : r.health(),
          "drift (not corrected, drift: report): " + difference.get(), desired.file()));
      log.warn("gitops {}: {} drifted from Git: {}", project.id(), key, difference.get());
      report();
      return;
    }
    try {
      Map<String, Object> stored = KubeApi.join(engine.api().apply(desired.type(), key.namespace(), key.name(), desired.content(),
          // force_conflicts: false also holds here: a field someone else set out of band is theirs until they give it back.
          project.fieldManager(), project.forceConflicts(), false));
      driftCorrected++;
      metrics.driftCorrected();
      Health health = Health.of(stored);
      current.put(key, new ObjectResult(key, desired.type().version(), "configured", health.statusName(),
          "drift corrected: " + difference.get(), desired.file()));
      log.info("gitops {}: corrected drift of {}: {}", project.id(), key, difference.get());
    } catch (RuntimeException e) {
      current.put(key, new ObjectResult(key, desired.type().version(), "failed", r == null ? "" : r.health(),
          "drift could not be corrected: " + SyncEngine.withConflictHint(SyncEngine.message(e), project), desired.file()));
    }
    report();
  }

  /** Sends the current state soon, once, however many changes come meanwhile. */
  private void report() {
    if (pendingReport == null || pendingReport.isDone()) {
      pendingReport = thread.schedule(() -> sendReport(outcome, driftCorrected), REPORT_DELAY_MILLIS, TimeUnit.MILLISECONDS);
    }
  }

  private void sendReport(SyncOutcome state, int corrected) {
    sendReport(state, corrected, false);
  }

  private void sendReport(SyncOutcome state, int corrected, boolean resent) {
    ClientCallStreamObserver<GitopsAgentMessage> s = stream;
    if (s == null || state == null) {
      return;
    }
    List<ObjectResult> objects = state == outcome ? currentObjects() : state.objects();
    SyncReport.Builder report = SyncReport.newBuilder().setCommit(state.commit()).setPhase(state.phase()).setMessage(state.message())
        .setStartedUnixMillis(state.started().toEpochMilli()).setFinishedUnixMillis(state.finished().toEpochMilli())
        .setApplied((int) objects.stream().filter(o -> o.action().equals("created") || o.action().equals("configured")).count())
        .setUnchanged((int) objects.stream().filter(o -> o.action().equals("unchanged")).count())
        .setPruned((int) objects.stream().filter(o -> o.action().equals("pruned")).count())
        .setFailed((int) objects.stream().filter(ObjectResult::failed).count())
        .setDriftCorrected(corrected)
        .setInventory(state.inventory()).setResent(resent);
    for (ObjectResult o : objects) {
      report.addObjects(dev.tether.proto.v1.ObjectResult.newBuilder().setGroup(o.key().group()).setVersion(o.version())
          .setKind(o.key().kind()).setNamespace(o.key().namespace()).setName(o.key().name()).setAction(o.action())
          .setHealth(o.health()).setMessage(o.message()).setFile(o.file()));
    }
    try {
      synchronized (s) {
        s.onNext(GitopsAgentMessage.newBuilder().setReport(report).build());
      }
    } catch (RuntimeException e) {
      log.debug("gitops {}: report not sent: {}", project.id(), e.toString());
    }
  }

  /** The last completed sync's outcome with the latest health and drift, for tests and status. */
  Optional<SyncOutcome> outcome() {
    SyncOutcome last = outcome;
    if (last == null) {
      return Optional.empty();
    }
    return Optional.of(new SyncOutcome(last.commit(), last.phase(), last.message(), currentObjects(), last.started(),
        last.finished(), last.inventory(), last.desired()));
  }

  private List<ObjectResult> currentObjects() {
    synchronized (current) {
      return List.copyOf(current.values());
    }
  }

  private static GitRefSpec refSpec(GitRef ref) {
    return switch (ref.kind()) {
      case BRANCH -> GitRefSpec.newBuilder().setBranch(ref.name()).build();
      case TAG -> GitRefSpec.newBuilder().setTag(ref.name()).build();
      case COMMIT -> GitRefSpec.newBuilder().setCommit(ref.name()).build();
      case DEFAULT_BRANCH -> GitRefSpec.newBuilder().setDefaultBranch(true).build();
    };
  }

  private static String shortCommit(String commit) {
    return commit.length() > 12 ? commit.substring(0, 12) : commit;
  }

  @Override
  public void close() {
    closed = true;
    closeStream();
    watches.values().forEach(SharedIndexInformer::stop);
    watches.clear();
    thread.shutdownNow();
  }
}
