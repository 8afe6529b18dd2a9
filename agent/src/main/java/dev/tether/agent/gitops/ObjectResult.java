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

  ObjectResult withHealth(Health h) {
    return new ObjectResult(key, version, action, h.statusName(), message.isEmpty() ? h.message() : message, file);
  }
}
