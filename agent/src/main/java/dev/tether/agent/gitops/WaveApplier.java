package dev.tether.agent.gitops;

import dev.tether.common.config.ManifestProject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Applies a plan wave by wave ({@link SyncWave}), as Argo CD does within its Sync phase: the lowest
 * wave first, each with {@link StagedApplier} (Namespaces and CRDs before the rest), and each waited
 * for until healthy before the next one starts. A wave with a failed object, or one that does not
 * become healthy within reconcile_timeout, ends the run: later waves are not applied, as Argo CD fails
 * the sync there. A plan with one wave (no annotations) is applied as before, without a health wait.
 */
final class WaveApplier {
  /** Told when a wave starts, for the status; only when the plan has more than one wave. */
  interface Progress {
    Progress NONE = (wave, index, count) -> { };

    void started(int wave, int index, int count);
  }

  /** What the waves did: the applies merged, and why the run ended early (a failed or unhealthy wave), if it did. */
  record Result(StagedApplier.Applied applied, Optional<String> failure) {}

  private final StagedApplier applier;
  private final HookRunner health;

  WaveApplier(StagedApplier applier, HookRunner health) {
    this.applier = applier;
    this.health = health;
  }

  Result apply(List<PlannedObject> plan, ManifestProject project, String inventoryId, Map<ObjectKey, ObjectResult> results,
      StopSignal stop, Progress progress, StagedApplier.KnownUnchanged known) {
    TreeMap<Integer, List<PlannedObject>> waves = SyncWave.byWave(plan, PlannedObject::content);
    Map<String, ObjectKey> crdOfKind = new HashMap<>();
    Set<ObjectKey> existing = ConcurrentHashMap.newKeySet();
    List<PlannedObject> applied = new ArrayList<>();
    int index = 0;
    for (Map.Entry<Integer, List<PlannedObject>> wave : waves.entrySet()) {
      index++;
      if (waves.size() > 1) {
        progress.started(wave.getKey(), index, waves.size());
      }
      StagedApplier.Applied one = applier.apply(wave.getValue(), project, inventoryId, results, stop, crdOfKind, known);
      existing.addAll(one.existing());
      applied.addAll(one.applied());
      Integer next = waves.higherKey(wave.getKey());
      if (stop.reason() != null || next == null) {
        break;
      }
      long failed = wave.getValue().stream().map(p -> results.get(p.key())).filter(r -> r != null && r.failed()).count();
      Optional<String> why = failed > 0 ? Optional.of(failed + " of its objects failed")
          : health.awaitHealthy(one.applied().stream().filter(p -> one.existing().contains(p.key())).toList(), project, results, stop);
      if (why.isPresent()) {
        String ended = "wave " + wave.getKey() + ": " + why.get();
        waves.tailMap(next, true).values().forEach(later -> later.forEach(p -> results.put(p.key(), new ObjectResult(p.key(),
            p.version(), Action.SKIPPED, Health.Status.NONE, "not applied: it is in wave " + SyncWave.of(p.content())
            + ", and " + ended, p.source().file()))));
        return new Result(new StagedApplier.Applied(results, existing, applied), Optional.of(ended + "; later waves were not applied"));
      }
    }
    return new Result(new StagedApplier.Applied(results, existing, applied), Optional.empty());
  }
}
