package dev.tether.agent.gitops;

/**
 * When a hook object is applied in a sync, as Argo CD's sync phases: before the objects
 * ({@code PreSync}), with them ({@code Sync}), or after all of them are healthy ({@code PostSync}).
 * {@link #NONE} for an object that is not a hook.
 */
public enum HookPhase {
  NONE(""), PRE_SYNC("PreSync"), SYNC("Sync"), POST_SYNC("PostSync");

  private final String argoName;

  HookPhase(String argoName) {
    this.argoName = argoName;
  }

  /** The name Argo CD gives the phase, which users write in {@code argocd.argoproj.io/hook}; empty for NONE. */
  public String argoName() {
    return argoName;
  }
}
