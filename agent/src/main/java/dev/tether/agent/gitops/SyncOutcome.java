package dev.tether.agent.gitops;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The result of one sync, the change set of Flux's ssa package: per object, what was done.
 *
 * @param phase synced or failed
 * @param desired the objects Git asked for, as applied (with their annotations), by key: what drift is measured against
 */
public record SyncOutcome(String commit, String phase, String message, List<ObjectResult> objects, Instant started,
    Instant finished, String inventory, Map<ObjectKey, Desired> desired) {

  /** An applied object and where it is served. */
  public record Desired(ResourceType type, Map<String, Object> content, String file) {
    /** Without the content: it may be a Secret's, and an outcome may be printed. */
    @Override
    public String toString() {
      return "Desired[" + type + ", " + file + "]";
    }
  }

  public long count(String action) {
    return objects.stream().filter(o -> o.action().equals(action)).count();
  }

  public long applied() {
    return count("created") + count("configured");
  }
}
