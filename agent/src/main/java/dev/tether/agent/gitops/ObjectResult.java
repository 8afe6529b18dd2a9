package dev.tether.agent.gitops;

/**
 * What a sync did with one object.
 *
 * @param action created, configured, unchanged, pruned, failed, skipped or drifted
 * @param health kstatus name: Current, InProgress, Failed, Unknown, NotFound, or empty when not known
 */
public record ObjectResult(ObjectKey key, String version, String action, String health, String message, String file) {

  public boolean failed() {
    return action.equals("failed");
  }

  /** With a newer health; a failure keeps its message, which says more than the health's, and any other takes the health's. */
  ObjectResult withHealth(Health h) {
    return new ObjectResult(key, version, action, h.statusName(), failed() ? message : h.message(), file);
  }
}
