package dev.tether.common.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class GoDurationTest {
  @Test
  void formatReadsBackAsTheSameDuration() {
    for (Duration d : new Duration[] {Duration.ofSeconds(10), Duration.ofMinutes(90), Duration.ofMillis(250), Duration.ofMillis(1500), Duration.ofHours(1)}) {
      assertThat(GoDuration.parse(GoDuration.format(d))).contains(d);
    }
    assertThat(GoDuration.format(Duration.ofMinutes(90))).isEqualTo("1h30m");
  }

  @Test
  void readsLikeGoAndProtobuf() {
    assertThat(GoDuration.parse("3600s")).contains(Duration.ofHours(1));
    assertThat(GoDuration.parse("1h30m")).contains(Duration.ofMinutes(90));
    assertThat(GoDuration.parse("1.5s")).contains(Duration.ofMillis(1500));
    assertThat(GoDuration.parse("250ms")).contains(Duration.ofMillis(250));
    assertThat(GoDuration.parse("10")).isEmpty();
    assertThat(GoDuration.parse("1d")).isEmpty();
  }
}
