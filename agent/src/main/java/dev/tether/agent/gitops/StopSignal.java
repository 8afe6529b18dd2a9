package dev.tether.agent.gitops;

/**
 * Asked before every write of a sync: whether the sync must stop now, and why. A sync stops when
 * this process may no longer apply (the session ended, the token was refused, another connection
 * applies) or when a newer commit arrived, which is synced next instead of waiting behind this one.
 */
@FunctionalInterface
public interface StopSignal {
  StopSignal NEVER = () -> null;

  /** Why the sync must stop now, or null to go on. */
  String reason();
}
