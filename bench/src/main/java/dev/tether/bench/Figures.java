package dev.tether.bench;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/** What the benchmarks share to set up a round and print it: a fresh namespace, a ratio, a setting. */
final class Figures {
  private Figures() {}

  /** Creates the (new, empty) namespace each engine's round applies into; returns its name. */
  static String createNamespace(KubernetesClient admin, String name) {
    admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
    return name;
  }

  /** {@code ms} as a multiple of {@code of}: "0.25×", or "–" when there is nothing to compare with. */
  static String ratio(long ms, long of) {
    return of <= 0 ? "–" : String.format("%.2f×", (double) ms / of);
  }

  /** A whole-number setting from the environment (TETHER_BENCH_*), or its default; a wrong value stops the run saying so. */
  static int setting(String variable, int defaultValue) {
    String value = System.getenv(variable);
    if (value == null || value.isBlank()) {
      return defaultValue;
    }
    try {
      return Integer.parseInt(value.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(variable + "='" + value + "' is not a whole number; unset it for the default " + defaultValue);
    }
  }
}
