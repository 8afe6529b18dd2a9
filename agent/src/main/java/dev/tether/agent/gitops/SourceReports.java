package dev.tether.agent.gitops;

import dev.tether.proto.v1.SyncReport;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Tells the server how one source stands: a syncing report as a sync or one of its waves starts, every
 * finished sync at once (the server's events, timeline and metrics count each one), and the health and
 * drift changes that follow coalesced into one report a second. Used on the worker's thread only.
 */
final class SourceReports {
  private static final long COALESCE_MILLIS = 1000;

  private final ManifestStreamClient stream;
  private final ScheduledExecutorService thread;
  private final Clock clock;
  private final Inventory inventory;
  private final Supplier<SyncOutcome> outcome;
  private final ObjectStatuses current;
  private final ObservedChanges observed;
  private final DependencyWait dependencies;
  private ScheduledFuture<?> pending;

  /**
   * @param outcome the last finished sync, null before the first
   * @param current its objects with the health and drift seen since
   */
  SourceReports(ManifestStreamClient stream, ScheduledExecutorService thread, Clock clock, Inventory inventory,
      Supplier<SyncOutcome> outcome, ObjectStatuses current, ObservedChanges observed, DependencyWait dependencies) {
    this.stream = stream;
    this.thread = thread;
    this.clock = clock;
    this.inventory = inventory;
    this.outcome = outcome;
    this.current = current;
    this.observed = observed;
    this.dependencies = dependencies;
  }

  /** A sync started, a wave started ({@code wave} not null, of {@code waves}), or the sync waits for other sources. */
  void syncing(ManifestSet syncing, String message, Integer wave, int waves) {
    if (!stream.isOpen()) {
      return;
    }
    SyncOutcome state = new SyncOutcome(syncing.commit(), Phase.SYNCING, message, ChangeSet.EMPTY, clock.instant(), clock.instant(),
        inventory.describe(), Map.of());
    SyncReport.Builder report = ManifestStreamClient.report(state, List.of(), 0, false).toBuilder()
        .setDriftPaused(observed.paused()).addAllWaitingFor(dependencies.names());
    if (wave != null) {
      report.setWave(wave).setWaves(waves);
    }
    stream.send(report.build());
  }

  /** A sync finished: reported now, and any coalesced report still waiting is no longer needed. */
  void finished() {
    if (pending != null) {
      pending.cancel(false);
    }
    now(false);
  }

  /**
   * The current state now; {@code resent} when it is the state a new session is told again (a server that restarted,
   * or another replica, learns it now rather than at the next sync).
   */
  void now(boolean resent) {
    SyncOutcome state = outcome.get();
    if (state != null && stream.isOpen()) {
      stream.send(ManifestStreamClient.report(state, current.snapshot().entries(), observed.corrected(), resent)
          .toBuilder().setDriftPaused(observed.paused()).addAllWaitingFor(dependencies.names()).build());
    }
  }

  /** The current state soon, once, however many changes come meanwhile. */
  void soon() {
    if (pending == null || pending.isDone()) {
      pending = thread.schedule(() -> now(false), COALESCE_MILLIS, TimeUnit.MILLISECONDS);
    }
  }
}
