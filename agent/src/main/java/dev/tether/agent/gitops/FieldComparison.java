package dev.tether.agent.gitops;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether a live object already holds every field a manifest sets: the test that lets a resync of
 * an unchanged commit skip the write. Extra fields in the live object (defaults, status, other
 * managers' fields) do not matter; values the API server rewrites in canonical form (quantities
 * such as {@code 1000m} for {@code 1}, numbers written as text) compare by meaning, and so do the
 * empty maps and lists it leaves out. A Secret is compared as the API server stores it: it folds
 * {@code stringData} into {@code data} and never returns {@code stringData}, so a Secret written
 * with {@code stringData} would otherwise look changed on every resync.
 *
 * <p>Lists are compared as server-side apply merges them. A list with merge keys (containers by name,
 * container ports by containerPort and protocol, a Service's ports by port and protocol, env by name,
 * …) matches each element Git sets with the live element of the same key, so elements the API server
 * or another manager added, and fields it defaulted inside them, are no difference; any other list is
 * atomic and must have Git's length. What the field manager owns but Git no longer sets (an element or
 * a field removed from Git) is found in its managed fields, so that removal is still applied.
 */
public final class FieldComparison {
  private static final Pattern QUANTITY = Pattern.compile("([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?");

  private static final Pattern CONTAINER = Pattern.compile(".*\\.(containers|initContainers|ephemeralContainers)\\[[^]]*]");

  private FieldComparison() {}

  /** The first field where {@code live} differs from {@code desired}, as a path; empty if it holds all of them. */
  public static Optional<String> firstDifference(Map<String, Object> desired, Map<String, Object> live) {
    return difference("", asStored(desired), live);
  }

  /**
   * As {@link #firstDifference(Map, Map)}, and also the first field that {@code fieldManager} owns in
   * {@code live} (by its last apply) that {@code desired} no longer sets: an apply would remove it.
   */
  public static Optional<String> firstDifference(Map<String, Object> desired, Map<String, Object> live, String fieldManager) {
    Optional<String> difference = firstDifference(desired, live);
    return difference.isPresent() ? difference : ManagedFields.ownedButNotSet(desired, live, fieldManager);
  }

  /**
   * A Secret manifest as the API server stores it: each {@code stringData} entry base64-encoded into
   * {@code data} (over a {@code data} entry of the same key, as the API server does), {@code
   * stringData} gone, and {@code data} in canonical base64 (the API server ignores line breaks in
   * it). Only for comparing: the manifest is applied as written. Anything else, and a Secret with a
   * value that is not text (the API server refuses it), is returned as it is.
   */
  @SuppressWarnings("unchecked")
  static Map<String, Object> asStored(Map<String, Object> desired) {
    if (!SecretRedaction.isSecret(desired)) {
      return desired;
    }
    Object data = desired.get("data");
    Object stringData = desired.get("stringData");
    if ((data != null && !(data instanceof Map<?, ?>)) || (stringData != null && !(stringData instanceof Map<?, ?>))) {
      return desired;
    }
    Map<String, Object> storedData = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : ((Map<String, Object>) (data == null ? Map.of() : data)).entrySet()) {
      if (e.getValue() != null) {
        if (!(e.getValue() instanceof String value)) {
          return desired;
        }
        storedData.put(e.getKey(), canonicalBase64(value));
      }
    }
    for (Map.Entry<String, Object> e : ((Map<String, Object>) (stringData == null ? Map.of() : stringData)).entrySet()) {
      if (e.getValue() != null) {
        if (!(e.getValue() instanceof String value)) {
          return desired;
        }
        storedData.put(e.getKey(), Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)));
      }
    }
    Map<String, Object> stored = new LinkedHashMap<>(desired);
    stored.remove("stringData");
    if (data != null || stringData != null) {
      stored.put("data", storedData);
    }
    return stored;
  }

  /** Base64 as the API server writes it back: without line breaks; unchanged when it is not base64 (the apply says why). */
  private static String canonicalBase64(String value) {
    try {
      return Base64.getEncoder().encodeToString(Base64.getDecoder().decode(value.replaceAll("[\\r\\n]", "")));
    } catch (IllegalArgumentException notBase64) {
      return value;
    }
  }

  @SuppressWarnings("unchecked")
  private static Optional<String> difference(String path, Object desired, Object live) {
    if (live == null && (desired instanceof Map<?, ?> m && m.isEmpty() || desired instanceof List<?> l && l.isEmpty())) {
      return Optional.empty(); // the API server leaves empty maps and lists out (data: {}, args: [])
    }
    if (desired instanceof Map<?, ?> want) {
      if (!(live instanceof Map<?, ?> have)) {
        return Optional.of(path.isEmpty() ? "." : path);
      }
      for (Map.Entry<String, Object> e : ((Map<String, Object>) want).entrySet()) {
        String field = path + "." + e.getKey();
        if (e.getValue() == null) {
          continue; // null in a manifest means "not set"
        }
        Optional<String> d = difference(field, e.getValue(), ((Map<String, Object>) have).get(e.getKey()));
        if (d.isPresent()) {
          return d;
        }
      }
      return Optional.empty();
    }
    if (desired instanceof List<?> want) {
      if (!(live instanceof List<?> have)) {
        return Optional.of(path);
      }
      List<String> keys = mergeKeys(path, want);
      if (!keys.isEmpty()) {
        return keyedDifference(path, keys, want, have);
      }
      if (have.size() != want.size()) {
        return Optional.of(path);
      }
      for (int i = 0; i < want.size(); i++) {
        Optional<String> d = difference(path + "[" + i + "]", want.get(i), have.get(i));
        if (d.isPresent()) {
          return d;
        }
      }
      return Optional.empty();
    }
    return sameScalar(desired, live) ? Optional.empty() : Optional.of(path);
  }

  /** Each element Git sets against the live element with the same merge key; live elements Git does not set are not compared. */
  private static Optional<String> keyedDifference(String path, List<String> keys, List<?> want, List<?> have) {
    for (Object element : want) {
      Map<?, ?> wanted = (Map<?, ?>) element;
      String at = path + "[" + keyText(keys, wanted) + "]";
      Optional<?> match = have.stream().filter(h -> h instanceof Map<?, ?> m && sameKey(keys, wanted, m)).findFirst();
      if (match.isEmpty()) {
        return Optional.of(at);
      }
      Optional<String> d = difference(at, wanted, match.get());
      if (d.isPresent()) {
        return d;
      }
    }
    return Optional.empty();
  }

  /**
   * The merge keys of a list, as the Kubernetes API declares them (x-kubernetes-list-map-keys /
   * patchMergeKey), recognized by the field's name and place; empty for an atomic list. A list whose
   * elements do not all carry the keys is compared as atomic, as the API server would refuse it anyway.
   */
  static List<String> mergeKeys(String path, List<?> elements) {
    String field = path.substring(path.lastIndexOf('.') + 1);
    String parent = path.substring(0, Math.max(0, path.lastIndexOf('.')));
    List<String> keys = switch (field) {
      case "containers", "initContainers", "ephemeralContainers", "env", "volumes", "imagePullSecrets", "resourceClaims",
          "schedulingGates" -> List.of("name");
      case "volumeMounts" -> List.of("mountPath");
      case "volumeDevices" -> List.of("devicePath");
      case "hostAliases" -> List.of("ip");
      case "topologySpreadConstraints" -> List.of("topologyKey", "whenUnsatisfiable");
      // A container's ports, and a Service's (spec.ports); NetworkPolicy ports and the like are atomic.
      case "ports" -> CONTAINER.matcher(parent).matches() ? List.of("containerPort", "protocol")
          : parent.equals(".spec") ? List.of("port", "protocol") : List.of();
      default -> List.<String>of();
    };
    boolean allKeyed = !keys.isEmpty() && elements.stream().allMatch(e -> e instanceof Map<?, ?> m && m.get(keys.get(0)) != null);
    return allKeyed ? keys : List.of();
  }

  static boolean sameKey(List<String> keys, Map<?, ?> a, Map<?, ?> b) {
    return keys.stream().allMatch(k -> sameScalar(keyValue(k, a), keyValue(k, b)));
  }

  /** A key field's value, with the API server's default where it sets one (protocol: TCP). */
  private static Object keyValue(String key, Map<?, ?> element) {
    Object value = element.get(key);
    return value == null && key.equals("protocol") ? "TCP" : value;
  }

  private static String keyText(List<String> keys, Map<?, ?> element) {
    StringBuilder text = new StringBuilder();
    for (String k : keys) {
      text.append(text.length() == 0 ? "" : ",").append(k).append('=').append(keyValue(k, element));
    }
    return text.toString();
  }

  static boolean sameScalar(Object desired, Object live) {
    if (desired == null || live == null) {
      return desired == live;
    }
    if (desired.equals(live)) {
      return true;
    }
    if (desired instanceof Number || live instanceof Number) {
      Optional<BigDecimal> a = number(desired);
      Optional<BigDecimal> b = number(live);
      return a.isPresent() && b.isPresent() && a.get().compareTo(b.get()) == 0;
    }
    if (desired instanceof String a && live instanceof String b) {
      Optional<BigDecimal> qa = quantity(a);
      Optional<BigDecimal> qb = quantity(b);
      return qa.isPresent() && qb.isPresent() && qa.get().compareTo(qb.get()) == 0;
    }
    return false;
  }

  private static Optional<BigDecimal> number(Object value) {
    if (value instanceof Number n) {
      return Optional.of(new BigDecimal(n.toString()));
    }
    return Optional.empty();
  }

  /** A Kubernetes resource quantity's value, e.g. 500m = 0.5, 1Ki = 1024, 1e3 = 1000. */
  static Optional<BigDecimal> quantity(String text) {
    Matcher m = QUANTITY.matcher(text);
    if (!m.matches()) {
      return Optional.empty();
    }
    BigDecimal number;
    try {
      number = new BigDecimal(m.group(1));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
    String suffix = m.group(2) == null ? "" : m.group(2);
    BigDecimal factor = switch (suffix) {
      case "n" -> new BigDecimal("1e-9");
      case "u" -> new BigDecimal("1e-6");
      case "m" -> new BigDecimal("1e-3");
      case "k" -> new BigDecimal("1e3");
      case "M" -> new BigDecimal("1e6");
      case "G" -> new BigDecimal("1e9");
      case "T" -> new BigDecimal("1e12");
      case "P" -> new BigDecimal("1e15");
      case "E" -> new BigDecimal("1e18");
      case "Ki" -> BigDecimal.valueOf(1L << 10);
      case "Mi" -> BigDecimal.valueOf(1L << 20);
      case "Gi" -> BigDecimal.valueOf(1L << 30);
      case "Ti" -> BigDecimal.valueOf(1L << 40);
      case "Pi" -> BigDecimal.valueOf(1L << 50);
      case "Ei" -> BigDecimal.valueOf(1L << 60);
      default -> BigDecimal.ONE;
    };
    return Optional.of(number.multiply(factor));
  }
}
