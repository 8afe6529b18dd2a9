package dev.tether.agent.gitops;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The sync wave of an object, read as Argo CD reads it, so that manifests written for Argo CD keep
 * their order: an integer annotation, 0 when absent, negative allowed. Tether's own
 * {@value #TETHER_WAVE} wins over Argo CD's {@value HookRole#ARGO_WAVE}; without either, Helm's
 * {@value HookRole#HELM_WEIGHT} counts, as in Argo CD's gitops-engine. A value that is not a whole
 * number is ignored (the next annotation, then 0), as Argo CD ignores it.
 */
final class SyncWave {
  static final String TETHER_WAVE = "tether.dev/sync-wave";

  private SyncWave() {}

  static int of(Map<String, Object> object) {
    Map<?, ?> metadata = object.get("metadata") instanceof Map<?, ?> m ? m : Map.of();
    Map<?, ?> annotations = metadata.get("annotations") instanceof Map<?, ?> a ? a : Map.of();
    for (String annotation : List.of(TETHER_WAVE, HookRole.ARGO_WAVE, HookRole.HELM_WEIGHT)) {
      Object value = annotations.get(annotation);
      if (value != null) {
        try {
          return Integer.parseInt(String.valueOf(value).trim());
        } catch (NumberFormatException notANumber) {
          // as Argo CD: the next annotation decides
        }
      }
    }
    return 0;
  }

  /** The items by wave, lowest first; each wave keeps the items' order. */
  static <T> TreeMap<Integer, List<T>> byWave(Collection<T> items, Function<T, Map<String, Object>> object) {
    TreeMap<Integer, List<T>> waves = new TreeMap<>();
    for (T item : items) {
      waves.computeIfAbsent(of(object.apply(item)), w -> new ArrayList<>()).add(item);
    }
    return waves;
  }
}
