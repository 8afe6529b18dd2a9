package dev.tether.agent.connection;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BackoffTest {
  @Test
  void waitsGrowExponentiallyWithJitterUpToTheCap() {
    Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60));
    long[] caps = {1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000};
    for (long cap : caps) {
      long wait = backoff.next().toMillis();
      assertThat(wait).isBetween(cap / 2, cap);
    }
    backoff.reset();
    assertThat(backoff.next().toMillis()).isBetween(500L, 1000L);
  }

  @Test
  void agentsThatFailTogetherDoNotRetryTogether() {
    Set<Long> waits = new HashSet<>();
    for (int agent = 0; agent < 50; agent++) {
      Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60));
      for (int i = 0; i < 5; i++) {
        backoff.next();
      }
      waits.add(backoff.next().toMillis());
    }
    assertThat(waits).hasSizeGreaterThan(40);
  }
}
