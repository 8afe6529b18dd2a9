package dev.tether.bench;

import dev.tether.testkit.metrics.PrometheusText;

/**
 * What the server's {@code tether_render_duration_seconds} says of one kind of source between two
 * scrapes of its /metrics: how many answers it gave (rendered or from its cache, by {@code cache}) and their time.
 */
record ServerRenderTimes(long count, double seconds) {
  private static final String METRIC = "tether_render_duration_seconds";

  static ServerRenderTimes between(PrometheusText before, PrometheusText after, String kind, String cache) {
    return new ServerRenderTimes(Math.round(count(after, kind, cache) - count(before, kind, cache)),
        sum(after, kind, cache) - sum(before, kind, cache));
  }

  /** Since the server started. */
  static ServerRenderTimes total(PrometheusText metrics, String kind, String cache) {
    return new ServerRenderTimes(Math.round(count(metrics, kind, cache)), sum(metrics, kind, cache));
  }

  private static double count(PrometheusText metrics, String kind, String cache) {
    return metrics.sumOrZero(METRIC + "_count", "kind", kind, "cache", cache);
  }

  private static double sum(PrometheusText metrics, String kind, String cache) {
    return metrics.sumOrZero(METRIC + "_sum", "kind", kind, "cache", cache);
  }

  /** The mean time of one answer, in milliseconds; 0 without any. */
  double meanMs() {
    return count == 0 ? 0 : seconds * 1000 / count;
  }

  /** "412 ms", "0.05 ms (×3)" for a table cell; "none" without any. */
  String describe() {
    if (count == 0) {
      return "none";
    }
    String mean = meanMs() >= 10 ? String.format("%.0f ms", meanMs()) : String.format("%.2f ms", meanMs());
    return count == 1 ? mean : mean + " (mean of " + count + ")";
  }
}
