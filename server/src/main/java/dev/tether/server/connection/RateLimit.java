package dev.tether.server.connection;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A token bucket per key (a token, an address): at most {@code burst} events at once, refilled evenly at
 * a rate; agent connections use a minute's worth as the burst, proxied requests a burst of their own. Memory is
 * bounded: a bucket that has
 * refilled is forgotten when room is needed, and past {@code maxKeys} busy keys, new keys share one
 * bucket, so a flood from ever new addresses is limited as a whole. It counts for this server alone.
 */
public final class RateLimit implements RateLimiter {
  static final String OVERFLOW = "(all other keys)";

  private final int perMinute;
  private final double perSecond;
  private final int burst;
  private final int maxKeys;
  private final Clock clock;
  private final Map<String, Bucket> buckets = new HashMap<>();
  private Instant nextPurge = Instant.MIN;

  private static final class Bucket {
    double permits;
    Instant updated;

    Bucket(double permits, Instant updated) {
      this.permits = permits;
      this.updated = updated;
    }
  }

  /** {@code perMinute} a minute, in bursts of as many; 0 lets everything through. */
  public RateLimit(int perMinute, int maxKeys, Clock clock) {
    this(perMinute / 60.0, perMinute, maxKeys, clock);
  }

  /** {@code perSecond} a second, in bursts of up to {@code burst}; a rate of 0 lets everything through. */
  public RateLimit(double perSecond, int burst, int maxKeys, Clock clock) {
    if (perSecond < 0 || maxKeys < 1 || (perSecond > 0 && burst < 1)) {
      throw new IllegalArgumentException("a rate limit needs a rate >= 0, a burst >= 1 and maxKeys >= 1");
    }
    this.perSecond = perSecond;
    this.burst = perSecond == 0 ? 0 : burst;
    this.perMinute = (int) Math.round(perSecond * 60);
    this.maxKeys = maxKeys;
    this.clock = clock;
  }

  @Override
  public int perMinute() {
    return perMinute;
  }

  @Override
  public synchronized Optional<Duration> tryTake(String key) {
    if (perSecond == 0) {
      return Optional.empty();
    }
    Instant now = clock.instant();
    Bucket bucket = bucketOf(key, now);
    refill(bucket, now);
    if (bucket.permits >= 1) {
      bucket.permits -= 1;
      return Optional.empty();
    }
    return Optional.of(untilOnePermit(bucket));
  }

  private Duration untilOnePermit(Bucket bucket) {
    double missing = 1 - bucket.permits;
    // Less a hair, so that rounding errors of the fractions do not add a millisecond.
    return Duration.ofMillis((long) Math.ceil(missing * millisPerPermit() - 1e-6));
  }

  @Override
  public synchronized Optional<Duration> waitFor(String key) {
    Bucket bucket = perSecond == 0 ? null : buckets.get(key);
    if (bucket == null) {
      return Optional.empty();
    }
    refill(bucket, clock.instant());
    return bucket.permits >= 1 ? Optional.empty() : Optional.of(untilOnePermit(bucket));
  }

  synchronized int trackedKeys() {
    return buckets.size();
  }

  private Bucket bucketOf(String key, Instant now) {
    Bucket bucket = buckets.get(key);
    if (bucket != null) {
      return bucket;
    }
    if (buckets.size() >= maxKeys) {
      purgeRefilled(now);
    }
    if (buckets.size() >= maxKeys) {
      key = OVERFLOW;
    }
    return buckets.computeIfAbsent(key, k -> new Bucket(burst, now));
  }

  // A full bucket is the same as none. Scanning is linear, so under a flood of new keys it runs at most once a second.
  private void purgeRefilled(Instant now) {
    if (now.isBefore(nextPurge)) {
      return;
    }
    nextPurge = now.plusSeconds(1);
    buckets.values().removeIf(bucket -> {
      refill(bucket, now);
      return bucket.permits >= burst;
    });
  }

  private void refill(Bucket bucket, Instant now) {
    long elapsed = Duration.between(bucket.updated, now).toMillis();
    if (elapsed > 0) {
      bucket.permits = Math.min(burst, bucket.permits + elapsed / millisPerPermit());
      bucket.updated = now;
    }
  }

  private double millisPerPermit() {
    return 1000.0 / perSecond;
  }
}
