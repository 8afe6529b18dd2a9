package dev.tether.agent.gitops;

import dev.tether.common.config.GoDuration;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Acts on what the {@link ClusterWatch} sees of a source's objects between two syncs: records each new
 * health, and looks at an object that differs from Git again shortly (a burst of events for one object is
 * looked at once), to put it back or report it through the {@link DriftCorrector}. What is not Current
 * within reconcile_timeout of a sync turns Failed. Events arrive on the
 * informers' threads; everything they lead to runs on the worker's thread.
 */
final class ObservedChanges {
  private static final Logger log = LoggerFactory.getLogger(ObservedChanges.class);
  private static final long DRIFT_DELAY_MILLIS = 300;

  /** Told on the worker's thread of what the server should hear of; {@code health} when an object's health changed. */
  @FunctionalInterface
  interface Listener {
    void changed(boolean health);
  }

  private final String projectId;
  private final ScheduledExecutorService thread;
  private final ObjectStatuses current;
  private final DriftCorrector drift;
  private final SyncMetrics metrics;
  private final Supplier<SyncOutcome> outcome;
  private final StopSignal writeRefusal;
  private final Listener listener;
  private final Set<ObjectKey> pending = ConcurrentHashMap.newKeySet();
  private int corrected;
  private ScheduledFuture<?> healthDeadline;
  // An administrator paused drift correction; kept across sessions, told again by the server on a new stream.
  private boolean paused;

  /**
   * @param outcome the last finished sync, whose desired objects are compared; null before the first
   * @param writeRefusal why nothing may be written now (the worker stopped, this process does not apply, the
   *     server's answer is awaited), or null
   */
  ObservedChanges(String projectId, ScheduledExecutorService thread, ObjectStatuses current, DriftCorrector drift, SyncMetrics metrics,
      Supplier<SyncOutcome> outcome, StopSignal writeRefusal, Listener listener) {
    this.projectId = projectId;
    this.thread = thread;
    this.current = current;
    this.drift = drift;
    this.metrics = metrics;
    this.outcome = outcome;
    this.writeRefusal = writeRefusal;
    this.listener = listener;
  }

  /** Drift corrections since the worker started (worker thread). */
  int corrected() {
    return corrected;
  }

  /** Whether an administrator paused drift correction (worker thread). */
  boolean paused() {
    return paused;
  }

  /** Pauses or resumes drift correction; whether that changed anything (worker thread). */
  boolean pause(boolean pause) {
    boolean changed = pause != paused;
    paused = pause;
    return changed;
  }

  /** A sync finished: what has not become Current within {@code reconcileTimeout} from now is reported as failed (worker thread). */
  void syncFinished(Duration reconcileTimeout) {
    if (healthDeadline != null) {
      healthDeadline.cancel(false);
    }
    healthDeadline = thread.schedule(() -> {
      String timeout = GoDuration.format(reconcileTimeout);
      if (current.timedOut(timeout)) {
        log.warn("gitops {}: some objects did not become ready within reconcile_timeout {}", projectId, timeout);
        listener.changed(false);
      }
    }, reconcileTimeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** A watched object changed: its health is recorded, and a difference from Git is looked at again shortly. */
  void observed(ObjectKey key, Health health, boolean differsFromGit) {
    if (thread.isShutdown()) {
      return;
    }
    try {
      thread.execute(() -> {
        if (current.healthChanged(key, health)) {
          listener.changed(true);
        }
      });
      if (differsFromGit && pending.add(key)) {
        thread.schedule(() -> drifted(key), DRIFT_DELAY_MILLIS, TimeUnit.MILLISECONDS);
      }
    } catch (RejectedExecutionException stopping) {
      // the worker stopped while the event was on its way
    }
  }

  /** Checks a drifted object against the live state now and puts it back (drift: correct) or reports it. */
  private void drifted(ObjectKey key) {
    pending.remove(key);
    SyncOutcome last = outcome.get();
    SyncOutcome.Desired desired = last == null ? null : last.desired().get(key);
    if (desired == null || writeRefusal.reason() != null) {
      return; // found again by the sync that follows when this process may apply again
    }
    Health.Status health = current.get(key).map(ObjectResult::health).orElse(Health.Status.NONE);
    Optional<DriftCorrector.Outcome> checked = drift.check(key, desired, health, writeRefusal, paused);
    if (checked.isEmpty()) {
      return;
    }
    ObjectResult result = checked.get().result();
    current.put(result);
    if (checked.get().corrected()) {
      corrected++;
      metrics.driftCorrected();
      log.info("gitops {}: {}: {}", projectId, key, result.message());
    } else if (result.action() == Action.DRIFTED) {
      log.warn("gitops {}: {} drifted from Git: {}", projectId, key, result.message());
    }
    listener.changed(false);
  }
}
