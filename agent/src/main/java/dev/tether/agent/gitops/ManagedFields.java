package dev.tether.agent.gitops;

import com.fasterxml.jackson.databind.ObjectReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a live object's managedFields (the fieldsV1 trees server-side apply keeps per field manager)
 * to find what a manager set at its last apply and Git no longer sets: an apply now would remove it,
 * so the object is not "unchanged" even though the live object still holds every field Git sets.
 */
final class ManagedFields {
  private static final ObjectReader ANY = KubeApi.JSON.readerFor(Object.class);

  private ManagedFields() {}

  /** The first field {@code fieldManager} applied into {@code live} that {@code desired} does not set, as a path. */
  @SuppressWarnings("unchecked")
  static Optional<String> ownedButNotSet(Map<String, Object> desired, Map<String, Object> live, String fieldManager) {
    Object metadata = live.get("metadata");
    if (!(metadata instanceof Map<?, ?> m) || !(m.get("managedFields") instanceof List<?> entries)) {
      return Optional.empty();
    }
    for (Object entry : entries) {
      if (entry instanceof Map<?, ?> e && fieldManager.equals(e.get("manager")) && "Apply".equals(e.get("operation"))
          && (e.get("subresource") == null || "".equals(e.get("subresource")))
          && e.get("fieldsV1") instanceof Map<?, ?> fields) {
        return missing("", (Map<String, Object>) fields, desired, SecretRedaction.isSecret(desired));
      }
    }
    return Optional.empty();
  }

  @SuppressWarnings("unchecked")
  private static Optional<String> missing(String path, Map<String, Object> owned, Object desired, boolean secret) {
    for (Map.Entry<String, Object> e : owned.entrySet()) {
      String member = e.getKey();
      Map<String, Object> children = e.getValue() instanceof Map<?, ?> c ? (Map<String, Object>) c : Map.of();
      if (member.startsWith("f:")) {
        String field = member.substring(2);
        if (secret && path.isEmpty() && (field.equals("data") || field.equals("stringData"))) {
          Optional<String> d = secretKeyMissing(field, children, (Map<String, Object>) desired);
          if (d.isPresent()) {
            return d;
          }
          continue;
        }
        Object value = desired instanceof Map<?, ?> map ? map.get(field) : null;
        if (value == null) {
          return Optional.of(path + "." + field + " (set before, no longer in Git)");
        }
        Optional<String> d = missing(path + "." + field, children, value, false);
        if (d.isPresent()) {
          return d;
        }
      } else if (member.startsWith("k:")) {
        Map<String, Object> key = parse(member.substring(2));
        Optional<?> element = desired instanceof List<?> list ? list.stream()
            .filter(x -> x instanceof Map<?, ?> xm && FieldComparison.sameKey(List.copyOf(key.keySet()), key, xm)).findFirst()
            : Optional.empty();
        String at = path + "[" + member.substring(2) + "]";
        if (element.isEmpty()) {
          return Optional.of(at + " (set before, no longer in Git)");
        }
        Optional<String> d = missing(at, children, element.get(), false);
        if (d.isPresent()) {
          return d;
        }
      } else if (member.startsWith("v:")) {
        Object value = parse("[" + member.substring(2) + "]");
        Object wanted = ((List<?>) value).get(0);
        if (!(desired instanceof List<?> list) || list.stream().noneMatch(x -> FieldComparison.sameScalar(wanted, x))) {
          return Optional.of(path + "[" + member.substring(2) + "] (set before, no longer in Git)");
        }
      }
      // ".": the element or map itself; "i:": a position in an atomic list, compared with the list.
    }
    return Optional.empty();
  }

  /** A Secret's data and stringData are one set of keys: the API server folds stringData into data. */
  @SuppressWarnings("unchecked")
  private static Optional<String> secretKeyMissing(String field, Map<String, Object> owned, Map<String, Object> desired) {
    Set<String> keys = new HashSet<>();
    for (String part : List.of("data", "stringData")) {
      if (desired.get(part) instanceof Map<?, ?> m) {
        ((Map<String, Object>) m).forEach((k, v) -> {
          if (v != null) {
            keys.add(k);
          }
        });
      }
    }
    return owned.keySet().stream().filter(k -> k.startsWith("f:") && !keys.contains(k.substring(2))).findFirst()
        .map(k -> "." + field + "." + k.substring(2) + " (set before, no longer in Git)");
  }

  @SuppressWarnings("unchecked")
  private static <T> T parse(String json) {
    try {
      // One reader for all: looking the target type up again for each key was a tenth of a no-op resync's comparisons.
      return (T) ANY.readValue(json);
    } catch (IOException e) {
      throw new UncheckedIOException("a managedFields key that is not JSON: " + json, e);
    }
  }
}
