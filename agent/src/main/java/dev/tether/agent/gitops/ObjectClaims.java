package dev.tether.agent.gitops;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which manifest project of this agent selects which object. Two projects that select the same
 * object get an error naming both, instead of taking turns overwriting it.
 */
public final class ObjectClaims {
  private final Map<ObjectKey, String> owners = new ConcurrentHashMap<>();

  /** Claims an object for a project; the other project's name if another holds it. */
  Optional<String> claim(ObjectKey key, String project) {
    String holder = owners.putIfAbsent(key, project);
    return holder == null || holder.equals(project) ? Optional.empty() : Optional.of(holder);
  }

  /** Lets go of every claim of a project that is not in {@code keep}. */
  void releaseAllBut(String project, Collection<ObjectKey> keep) {
    owners.entrySet().removeIf(e -> e.getValue().equals(project) && !keep.contains(e.getKey()));
  }
}
