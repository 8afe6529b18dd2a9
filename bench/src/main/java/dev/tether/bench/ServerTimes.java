package dev.tether.bench;

import dev.tether.testkit.metrics.PrometheusText;

/**
 * What one of the server's timers says between two scrapes of its /metrics: how many times it
 * counted and their time together. For renders, {@code tether_render_duration_seconds} of one kind
 * of source, rendered or from the cache ({@code cache} tag); for Git, {@code tether_git_fetch_seconds}.
 */
record ServerTimes(long count, double seconds) {
  private static final String RENDERS = "tether_render_duration_seconds";
  private static final String FETCHES = "tether_git_fetch_seconds";

  static ServerTimes renders(PrometheusText before, PrometheusText after, String kind, String cache) {
    return between(before, after, RENDERS, "kind", kind, "cache", cache);
  }

  /** Every Git fetch the server made (webhook, poll, a new project's first), whatever its result. */
  static ServerTimes fetches(PrometheusText before, PrometheusText after) {
    return between(before, after, FETCHES);
  }

  private static ServerTimes between(PrometheusText before, PrometheusText after, String metric, String... labels) {
    double count = after.sumOrZero(metric + "_count", labels) - before.sumOrZero(metric + "_count", labels);
    double seconds = after.sumOrZero(metric + "_sum", labels) - before.sumOrZero(metric + "_sum", labels);
    return new ServerTimes(Math.round(count), seconds);
  }

  /** The mean time of one, in milliseconds; 0 without any. */
  double meanMs() {
    return count == 0 ? 0 : seconds * 1000 / count;
  }

  long totalMs() {
    return Math.round(seconds * 1000);
  }

  /** "412 ms", "1.37 ms (mean of 3)" for a table cell; "none" without any. */
  String describe() {
    if (count == 0) {
      return "none";
    }
    String mean = meanMs() >= 10 ? String.format("%.0f ms", meanMs()) : String.format("%.2f ms", meanMs());
    return count == 1 ? mean : mean + " (mean of " + count + ")";
  }
}
