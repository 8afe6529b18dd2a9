package dev.tether.agent.gitops;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The objects the watch last saw holding every field Git sets, each with the resourceVersion it was
 * compared at and the content it was compared with: what lets a no-op resync skip reading and comparing
 * objects nothing has changed since. The watch compares every event it receives anyway, and a sync
 * compares what it reads; a record is made only when such a comparison found the object as an apply
 * would leave it (no difference, no field the field manager owns that Git dropped, no other inventory's
 * claim), and any event that finds a difference, or a deletion, removes it. A record is used only while
 * the watch holds the object at the same resourceVersion. Thread-safe: written on the informers' threads, read by syncs.
 */
final class UnchangedObjects {
  /** One comparison that found the live object as Git has it. */
  private record Compared(String resourceVersion, byte[] desired, Health health) {}

  private final Map<ObjectKey, Compared> compared = new ConcurrentHashMap<>();

  /** The live object at {@code resourceVersion} holds what {@code desired} (the applied JSON) sets. */
  void equal(ObjectKey key, String resourceVersion, byte[] desired, Health health) {
    compared.put(key, new Compared(resourceVersion, desired, health));
  }

  /** The object differs from Git, was deleted, or its watch stopped: it must be read and compared again. */
  void forget(ObjectKey key) {
    compared.remove(key);
  }

  void clear() {
    compared.clear();
  }

  /**
   * The health it was last seen with, when the object was last compared equal to exactly {@code desired} and
   * is still at that resourceVersion ({@code liveVersion}, the watch's newest, null when the watch holds no such
   * object); empty, and the full read and compare needed, otherwise.
   */
  Optional<Health> unchanged(ObjectKey key, byte[] desired, String liveVersion) {
    Compared last = compared.get(key);
    if (last == null || liveVersion == null || !liveVersion.equals(last.resourceVersion()) || !Arrays.equals(last.desired(), desired)) {
      return Optional.empty();
    }
    return Optional.of(last.health());
  }
}
