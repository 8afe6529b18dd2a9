package dev.tether.agent.gitops;

/**
 * What a sync did with one object: one entry of a {@link ChangeSet}.
 *
 * @param health as kstatus computes it; {@link Health.Status#NONE} when the object was not read or applied
 */
public record ObjectResult(ObjectKey key, String version, Action action, Health.Status health, String message, String file) {

  /** Not applied, nothing known of its health. */
  static ObjectResult failure(ObjectKey key, String version, String message, String file) {
    return new ObjectResult(key, version, Action.FAILED, Health.Status.NONE, message, file);
  }

  public boolean failed() {
    return action == Action.FAILED;
  }

  /** With a newer health; a failure keeps its message, which says more than the health's, and any other takes the health's. */
  ObjectResult withHealth(Health h) {
    return new ObjectResult(key, version, action, h.status(), failed() ? message : h.message(), file);
  }

  /** One line, as Flux's change set prints an entry: {@code apps/Deployment team/web configured Current: message}. */
  @Override
  public String toString() {
    String health = this.health == Health.Status.NONE ? "" : " " + this.health.statusName();
    return (key.group().isEmpty() ? "" : key.group() + "/") + key.kind() + " " + (key.namespace().isEmpty() ? "" : key.namespace() + "/")
        + key.name() + " " + action.wireName() + health + (message.isEmpty() ? "" : ": " + message.replace('\n', ' '));
  }
}
