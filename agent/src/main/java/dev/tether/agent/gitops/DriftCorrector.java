package dev.tether.agent.gitops;

import dev.tether.common.config.ManifestProject;
import java.util.Map;
import java.util.Optional;

/**
 * Looks at an object the watch saw differ from Git, and puts it back as Git has it (drift: correct) or
 * says how it differs (drift: report). The live object is read again first: the watch's event may be
 * older than a correction already made.
 */
final class DriftCorrector {
  /** What became of a drifted object; {@code corrected} when it was written back. */
  record Outcome(ObjectResult result, boolean corrected) {}

  private final KubeApi api;
  private final ManifestProject project;

  DriftCorrector(KubeApi api, ManifestProject project) {
    this.api = api;
    this.project = project;
  }

  /** Empty when the object holds what Git says after all, or when {@code stop} says not to write any more. */
  Optional<Outcome> check(ObjectKey key, SyncOutcome.Desired desired, Health.Status lastHealth, StopSignal stop, boolean paused) {
    Optional<Map<String, Object>> live = KubeApi.join(api.get(desired.type(), key.namespace(), key.name()));
    Optional<String> difference = live.isEmpty() ? Optional.of("the object was deleted")
        : FieldComparison.firstDifference(desired.content(), live.get()).map(path -> "field " + path + " differs from Git");
    if (difference.isEmpty()) {
      return Optional.empty();
    }
    String version = desired.type().version();
    if (project.drift() == ManifestProject.Drift.REPORT || paused) {
      return Optional.of(new Outcome(new ObjectResult(key, version, Action.DRIFTED, lastHealth, "drift (not corrected, "
          + (paused ? "drift correction paused" : "drift: report") + "): " + difference.get(), desired.file()), false));
    }
    if (stop.reason() != null) {
      return Optional.empty(); // the read took a while, and this process may no longer write: the next sync finds it
    }
    try {
      Map<String, Object> stored = KubeApi.join(api.apply(desired.type(), key.namespace(), key.name(), desired.content(),
          // force_conflicts: false also holds here: a field someone else set out of band is theirs until they give it back.
          project.fieldManager(), project.forceConflicts(), false));
      return Optional.of(new Outcome(new ObjectResult(key, version, Action.CONFIGURED, Health.of(stored).status(),
          "drift corrected: " + difference.get(), desired.file()), true));
    } catch (RuntimeException e) {
      return Optional.of(new Outcome(new ObjectResult(key, version, Action.FAILED, lastHealth,
          "drift could not be corrected: " + Reconciler.withConflictHint(Reconciler.message(e), project), desired.file()), false));
    }
  }
}
