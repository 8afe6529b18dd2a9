package dev.tether.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Helm's (Masterminds) constraint syntax, as Helm resolves it, on the versions a repository publishes. */
class ChartVersionRangeTest {
  private static final List<String> PUBLISHED = List.of("1.0.0", "1.2.0", "1.2.5", "1.3.0-rc.1", "1.3.0", "1.10.1", "2.0.0-beta.1",
      "2.0.0", "2.1.3", "v3.0.0");

  @ParameterizedTest(name = "{0} picks {1}")
  @CsvSource(delimiterString = " => ", value = {
      "1.2.5 => 1.2.5",
      "v1.2.5 => 1.2.5",
      "^1.2.0 => 1.10.1",
      "~1.2.0 => 1.2.5",
      "~1.2 => 1.2.5",
      "~>1.2 => 1.2.5",
      "1.2.x => 1.2.5",
      "1.x => 1.10.1",
      "* => v3.0.0",
      ">=1.2 <2 => 1.10.1",
      ">=1.2, <2 => 1.10.1",
      ">= 1.2, < 1.3 => 1.2.5",
      "=<1.2.0 => 1.2.0",
      "1.2 - 1.3 => 1.3.0",
      "^1.2.0, !=1.10.1 => 1.3.0",
      "^1.0 || ^2.0 => 2.1.3",
      "<1.0.0 || >=3 => v3.0.0",
      ">=1.3.0-rc.1 <1.3.0 => 1.3.0-rc.1",
      "^2.0.0-beta.1 => 2.1.3",
      "2.0.0-beta.1 => 2.0.0-beta.1",
  })
  void picksTheNewestMatchingVersionAsHelmDoes(String range, String expected) {
    assertThat(ChartVersionRange.parse(range).newest(PUBLISHED)).contains(expected);
  }

  @Test
  void prereleasesMatchOnlyARangeThatNamesOne() {
    assertThat(ChartVersionRange.parse(">=1.2.6 <1.4").newest(List.of("1.3.0-rc.1"))).isEmpty();
    assertThat(ChartVersionRange.parse(">=2.0.0-alpha <2.0.0").newest(List.of("2.0.0-beta.1"))).contains("2.0.0-beta.1");
    assertThat(ChartVersionRange.parse("*").newest(List.of("2.0.0-beta.1", "1.0.0"))).contains("1.0.0");
  }

  @Test
  void nothingMatchesWhenNoVersionFits() {
    assertThat(ChartVersionRange.parse("^4").newest(PUBLISHED)).isEmpty();
    assertThat(ChartVersionRange.parse("1.2.4").newest(PUBLISHED)).isEmpty();
  }

  @Test
  void anExactVersionIsExact() {
    assertThat(ChartVersionRange.parse("1.2.5").isExact()).isTrue();
    assertThat(ChartVersionRange.parse("^1.2.5").isExact()).isFalse();
  }

  @Test
  void unparsableVersionsInAnIndexAreSkipped() {
    assertThat(ChartVersionRange.parse("*").newest(List.of("latest", "1.0.0", "not.a.version"))).contains("1.0.0");
  }

  @ParameterizedTest
  @CsvSource(delimiterString = " => ", value = {"'' => is empty", "latest => is not a version", "^1 ||| ^2 => is not a version",
      ">=1.2 <2 ||   => empty alternative", "1.2.3; rm -rf => is not a version"})
  void refusesWhatIsNotAVersionOrConstraint(String text, String message) {
    assertThatThrownBy(() -> ChartVersionRange.parse(text)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
  }
}
