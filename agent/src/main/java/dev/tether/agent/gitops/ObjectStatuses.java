package dev.tether.agent.gitops;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The objects of the last sync with what happened to them since: health from the watch, drift reported
 * or corrected, reconcile_timeout passed. What status and the reports between two syncs show. Written
 * on the worker's thread, read from others.
 */
final class ObjectStatuses {
  private final Map<ObjectKey, ObjectResult> byKey = new LinkedHashMap<>();

  /** A new sync's change set replaces everything known. */
  synchronized void reset(ChangeSet changes) {
    byKey.clear();
    changes.entries().forEach(r -> byKey.put(r.key(), r));
  }

  synchronized Optional<ObjectResult> get(ObjectKey key) {
    return Optional.ofNullable(byKey.get(key));
  }

  synchronized void put(ObjectResult result) {
    byKey.put(result.key(), result);
  }

  /** Records a newer health of an object of the last sync; whether anything changed. */
  synchronized boolean healthChanged(ObjectKey key, Health health) {
    ObjectResult r = byKey.get(key);
    if (r == null || r.health() == health.status()) {
      return false;
    }
    // A failure or drift message says more than the health message; keep it.
    boolean keepMessage = r.failed() || r.action() == Action.DRIFTED || r.message().startsWith("drift corrected");
    byKey.put(key, new ObjectResult(r.key(), r.version(), r.action(), health.status(), keepMessage ? r.message() : health.message(),
        r.file(), r.hook()));
    return true;
  }

  /** Objects still InProgress or Unknown when reconcile_timeout ({@code timeout}) passed turn Failed; whether any did. */
  synchronized boolean timedOut(String timeout) {
    boolean changed = false;
    for (Map.Entry<ObjectKey, ObjectResult> e : byKey.entrySet()) {
      ObjectResult r = e.getValue();
      if (r.health() == Health.Status.IN_PROGRESS || r.health() == Health.Status.UNKNOWN) {
        e.setValue(new ObjectResult(r.key(), r.version(), r.action(), Health.Status.FAILED, "not Current within reconcile_timeout ("
            + timeout + "): " + r.message(), r.file(), r.hook()));
        changed = true;
      }
    }
    return changed;
  }

  /**
   * The first regular object that is not healthy (not Current; an object with no health, like one pruned or
   * skipped, counts as healthy), or empty: what a source that depends on this one waits for.
   */
  synchronized Optional<ObjectResult> firstUnhealthy() {
    return byKey.values().stream().filter(r -> r.hook() == HookPhase.NONE && r.action() != Action.PRUNED
        && r.action() != Action.SKIPPED && (r.failed() || (r.health() != Health.Status.CURRENT && r.health() != Health.Status.NONE)))
        .findFirst();
  }

  synchronized ChangeSet snapshot() {
    return new ChangeSet(byKey.values().stream().toList());
  }
}
