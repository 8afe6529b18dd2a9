package dev.tether.agent.gitops;

/**
 * What a sync did with one object: one entry of a {@link ChangeSet}.
 *
 * @param health as kstatus computes it; {@link Health.Status#NONE} when the object was not read or applied
 * @param hook the phase the object was applied in as a hook; {@link HookPhase#NONE} for a regular object
 */
public record ObjectResult(ObjectKey key, String version, Action action, Health.Status health, String message, String file,
    HookPhase hook) {

  /** A regular object's result. */
  public ObjectResult(ObjectKey key, String version, Action action, Health.Status health, String message, String file) {
    this(key, version, action, health, message, file, HookPhase.NONE);
  }

  /** Not applied, nothing known of its health. */
  static ObjectResult failure(ObjectKey key, String version, String message, String file) {
    return new ObjectResult(key, version, Action.FAILED, Health.Status.NONE, message, file);
  }

  public boolean failed() {
    return action == Action.FAILED;
  }

  /** With a newer health; a failure keeps its message, which says more than the health's, and any other takes the health's. */
  ObjectResult withHealth(Health h) {
    return new ObjectResult(key, version, action, h.status(), failed() ? message : h.message(), file, hook);
  }

  ObjectResult asHook(HookPhase phase) {
    return new ObjectResult(key, version, action, health, message, file, phase);
  }

  /**
   * One line, as Flux's change set prints an entry: {@code apps/Deployment team/web configured Current: message}; a hook
   * says its phase: {@code batch/Job team/migrate created Current (PreSync hook): job completed}.
   */
  @Override
  public String toString() {
    String health = this.health == Health.Status.NONE ? "" : " " + this.health.statusName();
    return (key.group().isEmpty() ? "" : key.group() + "/") + key.kind() + " " + (key.namespace().isEmpty() ? "" : key.namespace() + "/")
        + key.name() + " " + action.wireName() + health + (hook == HookPhase.NONE ? "" : " (" + hook.argoName() + " hook)")
        + (message.isEmpty() ? "" : ": " + message.replace('\n', ' '));
  }
}
