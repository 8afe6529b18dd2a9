package dev.tether.agent.gitops;

import dev.tether.agent.connection.Backoff;
import dev.tether.agent.connection.GitopsPermission;
import dev.tether.agent.connection.Session;
import dev.tether.common.config.ManifestProject;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one manifest project applied: receives its manifests over a gitops stream, applies each new
 * set on its own thread (a sync), applies it again every resync_interval, watches what it applied for drift and
 * health, and reports every sync to the server. It outlives sessions: after a reconnect it tells the
 * server what it has, so nothing is sent or applied again for nothing. It writes to the cluster
 * only while {@link GitopsPermission} allows: a sync stops before its next write when the session
 * ends or a newer commit arrives, and a failed sync is tried again with a backoff.
 */
final class ProjectWorker implements AutoCloseable, SourceDependencies.Source, ManifestStreamClient.Listener {
  private static final Logger log = LoggerFactory.getLogger(ProjectWorker.class);
  private static final long RESUME_DELAY_MILLIS = 1000;
  private static final Duration FIRST_RETRY = Duration.ofSeconds(5);
  private static final Duration LONGEST_RETRY = Duration.ofMinutes(5);

  private final ManifestProject project;
  private final String name;
  private final Reconciler engine;
  private final ParsedManifests parsed = new ParsedManifests();
  private final Inventory inventory;
  private final Clock clock;
  private final ScheduledExecutorService thread;
  private final ManifestStreamClient stream;
  private final ClusterWatch watch;

  // Written only on the worker's thread; read by the sources that depend on this one.
  private volatile ManifestSet latest;
  private final SourceDependencies dependencies;
  private final DependencyWait dependencyWait;
  private volatile SyncOutcome outcome;
  // Results of the last sync, updated by drift and health events; read by status from other threads.
  private final ObjectStatuses current = new ObjectStatuses();
  private final ObservedChanges observed;
  private final SourceReports reports;
  // Why the server could not send the newest commit; shown until a commit succeeds (worker thread).
  private String refusal;
  private final SyncRetries retries;
  private ScheduledFuture<?> resume;

  private volatile boolean closed;
  // After this process applies again: nothing is applied until the server answers the new stream (worker thread).
  private boolean awaitingServer;

  private final SyncMetrics metrics;
  private final GitopsPermission permission;

  ProjectWorker(ManifestProject project, String name, Reconciler engine, Inventory inventory, KubernetesClient client, Clock clock,
      SyncMetrics metrics, GitopsPermission permission, long maxManifestBytes, SourceDependencies dependencies) {
    this.metrics = metrics;
    this.dependencies = dependencies;
    this.dependencyWait = new DependencyWait(project, dependencies);
    this.permission = permission;
    Backoff backoff = new Backoff(FIRST_RETRY, project.resyncInterval().compareTo(LONGEST_RETRY) < 0
        ? project.resyncInterval() : LONGEST_RETRY);
    this.project = project;
    this.name = name;
    this.engine = engine;
    this.inventory = inventory;
    this.clock = clock;
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "gitops " + project.id());
      t.setDaemon(true);
      return t;
    });
    this.stream = new ManifestStreamClient(project, inventory.id(), maxManifestBytes, thread, this);
    this.observed = new ObservedChanges(project.id(), thread, current, new DriftCorrector(engine.api(), project), metrics,
        () -> outcome, () -> closed ? "the worker stopped" : awaitingServer ? "waiting for the server's answer" : permission.refusal(),
        this::watchedChanged);
    this.reports = new SourceReports(stream, thread, clock, inventory, () -> outcome, current, observed, dependencyWait);
    this.watch = new ClusterWatch(client, project, inventory.id(), () -> {
      SyncOutcome last = outcome;
      return last == null || closed ? Map.of() : last.desired();
    }, observed::observed);
    this.retries = new SyncRetries(project.id(), thread, backoff, () -> engine.api().ready());
    long every = project.resyncInterval().toMillis();
    thread.scheduleWithFixedDelay(this::resync, every, every, TimeUnit.MILLISECONDS);
  }

  /** Opens this project's stream on a new session and asks for manifests. */
  void open(Session session) {
    stream.open(session);
    // A server that restarted (or another replica) learns the last sync's state now, not at the next sync.
    thread.execute(() -> reports.now(true));
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
        if (permission.serverKnowsRoles()) {
          // What this process holds may be behind what another process applied meanwhile: it waits for the
          // server's answer on the new stream (new manifests, or the word that its own are current) before it
          // applies, resyncs or puts drift back.
          awaitingServer = true;
          return;
        }
        resume = thread.schedule(() -> {
          resume = null;
          if (latest != null && !closed) {
            applyLatest("this connection applies again");
          }
        }, RESUME_DELAY_MILLIS, TimeUnit.MILLISECONDS);
      });
    } catch (java.util.concurrent.RejectedExecutionException stopping) {
      // the worker stopped meanwhile
    }
  }

  /** Ends this project's stream (the session ended); syncs and watches go on. */
  void closeStream() {
    stream.close();
  }

  @Override
  public void received(ManifestSet set) {
    if (closed || set != stream.latestReceived()) {
      return; // a newer set arrived meanwhile; sync that one
    }
    awaitingServer = false;
    latest = set;
    refusal = null;
    retries.reset();
    applyLatest("new commit");
  }

  @Override
  public void commitMoved(String commit, String digest) {
    if (latest != null && latest.digest().equals(digest)) {
      ManifestSet held = latest;
      ManifestSet moved = latest.atCommit(commit);
      if (!stream.relabel(latest, moved)) {
        return; // a newer set arrived meanwhile and is synced next
      }
      refusal = null;
      awaitingServer = false;
      latest = moved;
      // A sync at the new commit, not the last report relabelled: its counts and time are then this commit's own.
      // Nothing changed for this source, so it finds every object unchanged and writes nothing.
      applyLatest(commit.equals(held.commit()) ? "the server confirmed the manifests" : "new commit, same manifests");
    }
  }

  @Override
  public void unavailable(String commit, String problem) {
    log.warn("gitops {}: manifests unavailable, nothing applied or pruned: {}", project.id(), problem);
    String at = commit == null || commit.isEmpty() ? (latest == null ? "" : latest.commit()) : commit;
    refusal = (at.isEmpty() ? "" : "commit " + shortCommit(at) + ": ") + problem;
    outcome = SyncOutcome.failed(at, "manifests unavailable, nothing applied or pruned: " + problem,
        outcome == null ? ChangeSet.EMPTY : outcome.changes(), clock.instant(), clock.instant(), inventory.describe(),
        outcome == null ? Map.of() : outcome.desired());
    reports.soon();
  }

  /** An administrator's command, from the server (worker thread). */
  @Override
  public void command(dev.tether.proto.v1.SourceCommand command) {
    if (closed) {
      return;
    }
    if (command.hasSyncNow()) {
      if (latest == null || awaitingServer) {
        log.info("gitops {}: sync now asked, but no manifests are held yet; the first set is synced when it arrives", project.id());
        return;
      }
      applyLatest("sync now, asked by an administrator");
    } else if (command.hasDriftCorrection()) {
      boolean pause = command.getDriftCorrection().getPaused();
      if (!observed.pause(pause)) {
        return;
      }
      log.info("gitops {}: drift correction {} by an administrator", project.id(), pause ? "paused" : "resumed");
      if (!pause && latest != null && !awaitingServer) {
        // What changed while paused is put back now, not at the next resync.
        applyLatest("drift correction resumed");
      } else {
        reports.soon();
      }
    }
  }

  private void resync() {
    // While drift correction is paused the periodic resync, which would put drift back, waits too.
    if (latest != null && !closed && !awaitingServer && !observed.paused()) {
      applyLatest("periodic resync");
    }
  }

  /** Applies the latest manifests received: one sync, reported to the server; {@code why} says what started it. */
  private void applyLatest(String why) {
    retries.cancel();
    if (resume != null) {
      resume.cancel(false);
      resume = null;
    }
    if (!permission.applies()) {
      log.debug("gitops {}: {} not run: {}", project.id(), why, permission.refusal());
      return; // resumed when this process may apply again
    }
    ManifestSet syncing = latest;
    // Told again by the sources it names when they sync or their health changes; nothing else waits meanwhile.
    if (dependencyWait.mustWait(message -> {
      log.info("gitops {}@{}: {}", project.id(), shortCommit(syncing.commit()), message);
      reports.syncing(syncing, message, null, 0);
    })) {
      return;
    }
    StopSignal stop = () -> {
      if (closed) {
        return "the manifest project's worker stopped";
      }
      String refused = permission.refusal();
      if (refused != null) {
        return refused;
      }
      ManifestSet newer = stream.latestReceived();
      return newer != syncing && newer != null ? "commit " + shortCommit(newer.commit()) + " arrived and is synced next" : null;
    };
    reports.syncing(syncing, why, null, 0);
    WaveApplier.Progress waves = (wave, index, count) -> {
      log.info("gitops {}@{}: applying wave {} ({} of {})", project.id(), shortCommit(syncing.commit()), wave, index, count);
      reports.syncing(syncing, why + "; applying wave " + wave + " (" + index + " of " + count + ")", wave, count);
    };
    SyncOutcome result;
    try {
      result = engine.reconcile(syncing.commit(), parsed.of(syncing.digest(), syncing.files()), project, inventory, name, stop, waves, watch);
    } catch (RuntimeException e) {
      // One line with the reason; the stack trace is for debugging only.
      log.warn("gitops {}: sync of {} failed: {}", project.id(), shortCommit(syncing.commit()), e.toString());
      log.debug("gitops {}: sync failure", project.id(), e);
      result = SyncOutcome.failed(syncing.commit(), "internal error: " + e, ChangeSet.EMPTY, clock.instant(), clock.instant(),
          inventory.describe(), Map.of());
    }
    String stoppedBy = stop.reason();
    if (stoppedBy != null && result.phase() != Phase.SYNCED) {
      log.info("gitops {}@{} ({}): stopped: {}", project.id(), shortCommit(syncing.commit()), why, stoppedBy);
      // Whatever stopped it brings the next sync: a newer commit, or this process applying again.
      return;
    }
    if (refusal != null && result.phase() == Phase.SYNCED) {
      // The cluster holds the last commit the server could send, but not the newest: that is not "synced".
      result = SyncOutcome.failed(result.commit(), "the newest commit cannot be synced: " + refusal + ". The cluster "
          + "still holds " + shortCommit(result.commit()) + ", synced again " + why, result.changes(), result.started(),
          result.finished(), result.inventory(), result.desired());
    }
    current.reset(result.changes());
    outcome = result;
    metrics.finished(result);
    String line = "gitops " + project.id() + "@" + shortCommit(result.commit()) + " (" + why + "): " + result.summary();
    if (result.phase() == Phase.SYNCED) {
      log.info(line);
    } else {
      log.warn(line);
    }
    if (log.isDebugEnabled()) {
      log.debug("gitops {}@{} change set:\n{}", project.id(), shortCommit(result.commit()), result.changes());
    }
    if (!result.desired().isEmpty() || result.phase() == Phase.SYNCED) {
      watch.watch(result.desired());
    }
    observed.syncFinished(project.reconcileTimeout());
    reports.finished();
    scheduleRetry(result);
    dependencies.changed(project.name());
  }


  @Override
  public ManifestProject project() {
    return project;
  }

  @Override
  public Optional<String> notReady() {
    return DependencyWait.notReady(latest, outcome, current);
  }

  @Override
  public void dependencyChanged() {
    if (closed) {
      return;
    }
    try {
      thread.execute(() -> {
        if (dependencyWait.waiting() && latest != null && !closed && !awaitingServer) {
          applyLatest("the sources it depends on are synced and healthy");
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException stopping) {
      // the worker stopped meanwhile
    }
  }

  /**
   * A failed sync (the API server down, a webhook refusing) is tried again soon rather than at the next
   * resync_interval (see {@link SyncRetries}); a commit the server refused waits for the server instead.
   */
  private void scheduleRetry(SyncOutcome result) {
    if (result.phase() == Phase.SYNCED) {
      retries.reset();
      return;
    }
    if (refusal != null || closed) {
      return;
    }
    Duration delay = retries.afterFailure(why -> {
      if (latest != null && !closed) {
        applyLatest(why);
      }
    });
    log.info("gitops {}: trying again in {} s, or as soon as the API server is back", project.id(),
        Math.round(delay.toMillis() / 100.0) / 10.0);
  }

  /** Syncs the current manifests again now; completes with the outcome. */
  java.util.concurrent.CompletableFuture<SyncOutcome> resyncNow() {
    java.util.concurrent.CompletableFuture<SyncOutcome> done = new java.util.concurrent.CompletableFuture<>();
    java.time.Instant asked = clock.instant();
    thread.execute(() -> {
      if (latest == null) {
        done.completeExceptionally(new IllegalStateException("no manifests received yet for " + project.id()));
        return;
      }
      if (!permission.applies()) {
        done.completeExceptionally(new IllegalStateException("this agent process does not apply now: " + permission.refusal()));
        return;
      }
      try {
        applyLatest("requested");
        SyncOutcome now = outcome().orElse(null);
        if (now == null || now.started().isBefore(asked)) {
          done.completeExceptionally(new IllegalStateException("the sync of " + project.id() + " stopped before it finished"));
        } else {
          done.complete(now);
        }
      } catch (RuntimeException e) {
        done.completeExceptionally(e);
      }
    });
    return done;
  }

  /** The watch saw drift, or a new health ({@code health}): the server hears of it soon, and dependents at once. */
  private void watchedChanged(boolean health) {
    reports.soon();
    if (health) {
      dependencies.changed(project.name());
    }
  }

  /** The last completed sync's outcome with the latest health and drift, for tests and status. */
  Optional<SyncOutcome> outcome() {
    SyncOutcome last = outcome;
    if (last == null) {
      return Optional.empty();
    }
    return Optional.of(last.withChanges(current.snapshot()));
  }

  private static String shortCommit(String commit) {
    return commit.length() > 12 ? commit.substring(0, 12) : commit;
  }

  @Override
  public void close() {
    closed = true;
    closeStream();
    watch.close();
    thread.shutdownNow();
  }
}
