package dev.tether.agent.gitops;

import dev.tether.common.config.ManifestProject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The {@code depends_on} of one agent's sources, as Flux's Kustomization {@code dependsOn}: a source
 * syncs only once each source it names is synced at the commit it holds and every object of that
 * sync is healthy. A waiting source does not block any other: it is told when a source it names may
 * have become ready, and then tries again. The configuration was checked at load (unknown names,
 * cycles), so a name here is always one worker's.
 */
final class SourceDependencies {
  /** What a worker says about itself to the sources that depend on it. */
  interface Source {
    ManifestProject project();

    /** Empty when the source is synced at the commit it holds and healthy; else why not, for the waiting source's status. */
    Optional<String> notReady();

    /** A source this one depends on may have become ready. */
    void dependencyChanged();
  }

  private final Map<String, List<Source>> byName = new ConcurrentHashMap<>();

  void add(Source source) {
    byName.computeIfAbsent(source.project().name(), n -> new CopyOnWriteArrayList<>()).add(source);
  }

  void remove(Source source) {
    byName.computeIfPresent(source.project().name(), (n, list) -> {
      list.remove(source);
      return list.isEmpty() ? null : list;
    });
  }

  /** What {@code project} still waits for: why, by the name in depends_on of each source that is not ready; empty when none. */
  Map<String, String> unmet(ManifestProject project) {
    Map<String, String> waiting = new LinkedHashMap<>();
    for (String name : project.dependsOn()) {
      List<Source> named = byName.getOrDefault(name, List.of());
      if (named.isEmpty()) {
        waiting.put(name, "not running yet");
      }
      named.stream().map(Source::notReady).flatMap(Optional::stream).findFirst().ifPresent(why -> waiting.put(name, why));
    }
    return waiting;
  }

  /** The source named so synced or changed health: the sources that depend on it look again. */
  void changed(String name) {
    byName.values().forEach(list -> list.forEach(s -> {
      if (s.project().dependsOn().contains(name)) {
        s.dependencyChanged();
      }
    }));
  }
}
