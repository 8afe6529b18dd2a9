package dev.tether.agent.connection;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with jitter: the n-th wait is a random time between half and all of
 * min(max, initial * 2^n), so agents that lost the same server do not all return at once.
 */
public final class Backoff {
  private final Duration initial;
  private final Duration max;
  private int attempts;

  public Backoff(Duration initial, Duration max) {
    this.initial = initial;
    this.max = max;
  }

  public Duration next() {
    long cap = Math.min(max.toMillis(), initial.toMillis() << Math.min(attempts, 20));
    attempts++;
    long half = cap / 2;
    return Duration.ofMillis(half + ThreadLocalRandom.current().nextLong(cap - half + 1));
  }

  public void reset() {
    attempts = 0;
  }
}
