package dev.tether.agent.gitops;

import dev.tether.common.metrics.PrometheusMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/** The agent's GitOps meters: syncs by result and duration, objects applied, pruned and failed, drift corrected. */
final class SyncMetrics {
  private final MeterRegistry meters;
  private final Timer duration;
  private final Counter applied;
  private final Counter pruned;
  private final Counter failed;
  private final Counter driftCorrected;

  SyncMetrics(MeterRegistry meters) {
    this.meters = meters;
    this.duration = Timer.builder("tether.agent.sync.duration").description("How long syncs took, from manifests to applied and pruned")
        .serviceLevelObjectives(PrometheusMetrics.WORK_BUCKETS).register(meters);
    this.applied = objects("applied");
    this.pruned = objects("pruned");
    this.failed = objects("failed");
    this.driftCorrected = Counter.builder("tether.agent.drift.corrections")
        .description("Objects changed in the cluster and put back as Git has them").register(meters);
  }

  private Counter objects(String action) {
    return Counter.builder("tether.agent.sync.objects").description("Objects syncs applied (created or configured), pruned or failed on")
        .tag("action", action).register(meters);
  }

  void finished(SyncOutcome outcome) {
    Counter.builder("tether.agent.syncs").description("Finished syncs, by result (synced or failed)")
        .tag("result", outcome.phase().wireName()).register(meters).increment();
    duration.record(Duration.between(outcome.started(), outcome.finished()));
    applied.increment(outcome.applied());
    pruned.increment(outcome.count(Action.PRUNED));
    failed.increment(outcome.count(Action.FAILED));
  }

  void driftCorrected() {
    driftCorrected.increment();
  }
}
