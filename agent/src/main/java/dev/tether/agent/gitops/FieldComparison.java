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
 */
public final class FieldComparison {
  private static final Pattern QUANTITY = Pattern.compile("([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?");

  private FieldComparison() {}

  /** The first field where {@code live} differs from {@code desired}, as a path; empty if it holds all of them. */
  public static Optional<String> firstDifference(Map<String, Object> desired, Map<String, Object> live) {
    return difference("", asStored(desired), live);
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
      if (!(live instanceof List<?> have) || have.size() != want.size()) {
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

  private static boolean sameScalar(Object desired, Object live) {
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
