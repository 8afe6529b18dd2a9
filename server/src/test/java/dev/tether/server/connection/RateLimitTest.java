package dev.tether.server.connection;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RateLimitTest {
  private final ManualClock clock = new ManualClock(Instant.parse("2030-01-01T00:00:00Z"));

  @Test
  void allowsABurstThenOnePermitPerSixtiethOfTheRate() {
    RateLimit limit = new RateLimit(10, 100, clock);
    for (int i = 0; i < 10; i++) {
      assertThat(limit.tryTake("token-a")).as("attempt %d of the burst", i + 1).isEmpty();
    }
    assertThat(limit.tryTake("token-a")).contains(Duration.ofSeconds(6));

    clock.advance(Duration.ofSeconds(4));
    assertThat(limit.tryTake("token-a")).as("refusals do not push the next permit back").contains(Duration.ofSeconds(2));
    clock.advance(Duration.ofSeconds(2));
    assertThat(limit.tryTake("token-a")).isEmpty();
    assertThat(limit.tryTake("token-a")).contains(Duration.ofSeconds(6));
  }

  @Test
  void keysHaveTheirOwnBuckets() {
    RateLimit limit = new RateLimit(1, 100, clock);
    assertThat(limit.tryTake("10.0.0.1")).isEmpty();
    assertThat(limit.tryTake("10.0.0.1")).isPresent();
    assertThat(limit.tryTake("10.0.0.2")).isEmpty();
  }

  @Test
  void refillsNoFurtherThanTheBurst() {
    RateLimit limit = new RateLimit(3, 100, clock);
    clock.advance(Duration.ofHours(5));
    for (int i = 0; i < 3; i++) {
      assertThat(limit.tryTake("k")).isEmpty();
    }
    assertThat(limit.tryTake("k")).isPresent();
  }

  @Test
  void zeroMeansNoLimit() {
    RateLimit limit = new RateLimit(0, 1, clock);
    for (int i = 0; i < 1000; i++) {
      assertThat(limit.tryTake("key-" + i)).isEmpty();
    }
    assertThat(limit.trackedKeys()).isZero();
  }

  @Test
  void aFloodOfNewKeysKeepsMemoryBoundedAndSharesOneBucket() {
    RateLimit limit = new RateLimit(5, 100, clock);
    int admitted = 0;
    for (int i = 0; i < 10_000; i++) {
      if (limit.tryTake("203.0.113." + i).isEmpty()) {
        admitted++;
      }
    }
    assertThat(limit.trackedKeys()).isLessThanOrEqualTo(101);
    assertThat(admitted).as("100 tracked keys and the shared bucket's burst").isEqualTo(100 + 5);
  }

  @Test
  void refilledBucketsAreForgottenToMakeRoom() {
    RateLimit limit = new RateLimit(5, 100, clock);
    for (int i = 0; i < 100; i++) {
      limit.tryTake("old-" + i);
    }
    clock.advance(Duration.ofMinutes(1));

    Optional<Duration> fresh = limit.tryTake("new");

    assertThat(fresh).isEmpty();
    assertThat(limit.trackedKeys()).isEqualTo(1);
  }
}
