package dev.tether.agent.gitops;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The result of one sync: its phase and the change set of what was done, per object.
 *
 * @param desired the objects Git asked for, as applied (with their annotations), by key: what drift is measured against
 */
public record SyncOutcome(String commit, Phase phase, String message, ChangeSet changes, Instant started, Instant finished,
    String inventory, Map<ObjectKey, Desired> desired) {

  /**
   * An applied object and where it is served. Kept as the JSON it was applied as, and read again when
   * a watch event or a drift check needs it: an agent keeps every object of every project between
   * syncs, and a tree of maps took several times the bytes of its JSON.
   */
  public record Desired(ResourceType type, byte[] json, String file) {
    static Desired of(ResourceType type, Map<String, Object> content, String file) {
      return new Desired(type, KubeApi.toJson(content), file);
    }

    /** The object as applied: a new copy on each call. */
    public Map<String, Object> content() {
      return KubeApi.parse(json);
    }

    /** Without the content: it may be a Secret's, and an outcome may be printed. */
    @Override
    public String toString() {
      return "Desired[" + type + ", " + file + "]";
    }
  }

  /** A sync that ended before it applied anything more, keeping what the last one knew of the objects. */
  static SyncOutcome failed(String commit, String message, ChangeSet changes, Instant started, Instant finished, String inventory,
      Map<ObjectKey, Desired> desired) {
    return new SyncOutcome(commit, Phase.FAILED, message, changes, started, finished, inventory, desired);
  }

  public List<ObjectResult> objects() {
    return changes.entries();
  }

  public long count(Action action) {
    return changes.count(action);
  }

  public long applied() {
    return changes.applied();
  }

  /** One line: the phase, how long it took, the counts and the message. */
  String summary() {
    return phase.wireName() + " in " + (finished.toEpochMilli() - started.toEpochMilli()) + " ms: " + changes.summary()
        + (message.isEmpty() ? "" : ": " + message);
  }

  SyncOutcome withChanges(ChangeSet newer) {
    return new SyncOutcome(commit, phase, message, newer, started, finished, inventory, desired);
  }
}
