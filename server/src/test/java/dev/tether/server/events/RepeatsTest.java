package dev.tether.server.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class RepeatsTest {
  private final ManualClock clock = new ManualClock(Instant.parse("2030-01-01T00:00:00Z"));
  private final Repeats<String> repeats = new Repeats<>(3, Duration.ofMinutes(1), Duration.ofMinutes(4), 100, "others", clock);

  @Test
  void theFirstFewAreReportedTheRestCountedUntilTheWindowEnds() {
    int reported = 0;
    for (int i = 0; i < 200; i++) {
      if (repeats.admit("edge-1 Connected", "Connected from 10.0.0.1:" + i)) {
        reported++;
      }
    }
    assertThat(reported).isEqualTo(3);
    assertThat(repeats.ended()).as("the window is still open").isEmpty();

    clock.advance(Duration.ofMinutes(1));
    List<Repeats.Summary<String>> ended = repeats.ended();

    assertThat(ended).containsExactly(new Repeats.Summary<>("edge-1 Connected", 197, Duration.ofMinutes(1),
        "Connected from 10.0.0.1:199"));
    assertThat(ended.get(0).period()).isEqualTo("in the last minute");
    assertThat(repeats.ended()).as("each summary once").isEmpty();
  }

  @Test
  void whileRepeatsGoOnOnlySummariesAreReportedOverLongerWindows() {
    for (int i = 0; i < 10; i++) {
      repeats.admit("k", "m" + i);
    }
    clock.advance(Duration.ofMinutes(1));
    assertThat(repeats.admit("k", "next")).as("still looping: folded").isFalse();
    assertThat(repeats.ended()).extracting(Repeats.Summary::count).containsExactly(7);

    clock.advance(Duration.ofMinutes(2));
    assertThat(repeats.ended()).extracting(Repeats.Summary::period).containsExactly("in the last 2 minutes");
    repeats.admit("k", "again");
    clock.advance(Duration.ofMinutes(4));
    assertThat(repeats.ended()).extracting(Repeats.Summary::over).as("up to the longest window").containsExactly(Duration.ofMinutes(4));
  }

  @Test
  void aQuietWindowMakesTheNextOccurrenceNewsAgain() {
    for (int i = 0; i < 5; i++) {
      repeats.admit("k", "m");
    }
    clock.advance(Duration.ofMinutes(1));
    assertThat(repeats.ended()).hasSize(1);
    clock.advance(Duration.ofMinutes(2));
    assertThat(repeats.ended()).isEmpty();

    assertThat(repeats.admit("k", "m")).isTrue();
    assertThat(repeats.trackedKeys()).isEqualTo(1);
  }

  @Test
  void aLateOccurrenceAfterALongPauseIsReportedAndTheMissedSummaryIsNotLost() {
    for (int i = 0; i < 5; i++) {
      repeats.admit("k", "m" + i);
    }
    clock.advance(Duration.ofHours(1));

    assertThat(repeats.admit("k", "back")).isTrue();
    assertThat(repeats.ended()).extracting(Repeats.Summary::count).containsExactly(2);
  }

  @Test
  void manyKeysShareTheOverflowKeyInsteadOfGrowingTheMap() {
    for (int i = 0; i < 5_000; i++) {
      repeats.admit("stranger-" + i, "refused");
      repeats.admit("stranger-" + i, "refused");
      repeats.admit("stranger-" + i, "refused");
      repeats.admit("stranger-" + i, "refused");
    }
    assertThat(repeats.trackedKeys()).isEqualTo(101);
    List<Repeats.Summary<String>> flushed = repeats.flush();
    assertThat(flushed).filteredOn(s -> s.key().equals("others")).singleElement()
        .satisfies(s -> assertThat(s.count()).isEqualTo(4 * 4_900 - 3));
    assertThat(repeats.trackedKeys()).isZero();
  }
}
