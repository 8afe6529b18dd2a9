package dev.tether.it.replicas;

import java.util.ArrayList;
import java.util.List;

/**
 * The time of one request through the replica holding the agent's tunnel against the same request
 * through another replica, which sends it on: alternating, so that both meet the same load.
 *
 * @param viaOwner nanoseconds per request through the replica holding the tunnel
 * @param viaOther nanoseconds per request through another replica
 */
record RoutingOverhead(List<Long> viaOwner, List<Long> viaOther) {
  private static final int WARM_UP = 20;

  /** One timed request, returning its nanoseconds. */
  @FunctionalInterface
  interface TimedRequest {
    long send() throws Exception;
  }

  static RoutingOverhead measure(int n, TimedRequest throughOwner, TimedRequest throughOther) throws Exception {
    List<Long> owner = new ArrayList<>();
    List<Long> other = new ArrayList<>();
    for (int i = -WARM_UP; i < n; i++) { // the first ones warm the JIT and the connections up
      long viaOwner = throughOwner.send();
      long viaOther = throughOther.send();
      if (i >= 0) {
        owner.add(viaOwner);
        other.add(viaOther);
      }
    }
    return new RoutingOverhead(owner, other);
  }

  static long percentile(List<Long> values, int p) {
    List<Long> sorted = values.stream().sorted().toList();
    return sorted.get(Math.min(sorted.size() - 1, sorted.size() * p / 100));
  }

  @Override
  public String toString() {
    long owner = percentile(viaOwner, 50);
    long other = percentile(viaOther, 50);
    return String.format("%d requests each, alternating%n"
        + "  through the replica holding the tunnel: median %.2f ms, p90 %.2f ms%n"
        + "  through another replica (one hop more): median %.2f ms, p90 %.2f ms%n"
        + "  ratio of medians: %.2f", viaOwner.size(), owner / 1e6, percentile(viaOwner, 90) / 1e6, other / 1e6,
        percentile(viaOther, 90) / 1e6, (double) other / owner);
  }
}
