package dev.tether.agent.gitops;

import dev.tether.common.config.ManifestProject;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * One source's wait for the sources its {@code depends_on} names (on its worker's thread): what it
 * waits for and why, and the rule by which a source is ready for those that depend on it.
 */
final class DependencyWait {
  private final ManifestProject project;
  private final SourceDependencies dependencies;
  private Map<String, String> waitingFor = Map.of();

  DependencyWait(ManifestProject project, SourceDependencies dependencies) {
    this.project = project;
    this.dependencies = dependencies;
  }

  /** Looks again; whether the source must wait. {@code changed} gets the message when what it waits for changed. */
  boolean mustWait(Consumer<String> changed) {
    Map<String, String> unmet = dependencies.unmet(project);
    if (unmet.isEmpty()) {
      waitingFor = Map.of();
      return false;
    }
    if (!unmet.equals(waitingFor)) {
      waitingFor = unmet;
      changed.accept(message());
    }
    return true;
  }

  boolean waiting() {
    return !waitingFor.isEmpty();
  }

  /** The names of the sources waited for, for the report; empty when it does not wait. */
  Set<String> names() {
    return waitingFor.keySet();
  }

  private String message() {
    return "waiting for " + waitingFor.entrySet().stream().map(e -> "source " + e.getKey() + " (" + e.getValue() + ")")
        .collect(Collectors.joining("; ")) + ", named in depends_on";
  }

  /**
   * Why a source is not ready for the sources that depend on it, or empty when it is: its last sync is
   * of the commit it holds, succeeded, and every object of it is healthy.
   */
  static Optional<String> notReady(ManifestSet held, SyncOutcome last, ObjectStatuses current) {
    if (held == null) {
      return Optional.of("no manifests received yet");
    }
    if (last == null || !last.commit().equals(held.commit())) {
      return Optional.of("commit " + (held.commit().length() > 12 ? held.commit().substring(0, 12) : held.commit()) + " not synced yet");
    }
    if (last.phase() != Phase.SYNCED) {
      return Optional.of("its last sync " + last.phase().wireName() + (last.message().isEmpty() ? "" : ": " + last.message()));
    }
    return current.firstUnhealthy().map(r -> r.key() + " is " + (r.failed() ? "failed" : r.health().name().toLowerCase(Locale.ROOT)
        .replace('_', ' ')) + (r.message().isEmpty() ? "" : ": " + r.message()));
  }
}
