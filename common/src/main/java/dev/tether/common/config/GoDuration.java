package dev.tether.common.config;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as Go and protobuf's JSON write them ({@code 3600s}, {@code 1h30m}, {@code 500ms}), used in config files and on the command line. */
public final class GoDuration {
  private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

  private GoDuration() {}

  public static Optional<Duration> parse(String text) {
    if (text == null || text.isEmpty()) {
      return Optional.empty();
    }
    Matcher m = PART.matcher(text);
    int at = 0;
    BigDecimal nanos = BigDecimal.ZERO;
    while (m.find() && m.start() == at) {
      BigDecimal unit = switch (m.group(2)) {
        case "ns" -> BigDecimal.ONE;
        case "us", "µs" -> BigDecimal.valueOf(1_000L);
        case "ms" -> BigDecimal.valueOf(1_000_000L);
        case "s" -> BigDecimal.valueOf(1_000_000_000L);
        case "m" -> BigDecimal.valueOf(60_000_000_000L);
        default -> BigDecimal.valueOf(3_600_000_000_000L);
      };
      nanos = nanos.add(new BigDecimal(m.group(1)).multiply(unit));
      at = m.end();
    }
    if (at != text.length()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Duration.ofNanos(nanos.longValueExact()));
    } catch (ArithmeticException tooLong) {
      // More than 292 years, or a fraction of a nanosecond: no sensible setting, and longValue() would wrap around.
      return Optional.empty();
    }
  }

  /** The shortest Go form: {@code 10s}, {@code 1h30m}, {@code 250ms}. */
  public static String format(Duration d) {
    if (d.isZero()) {
      return "0s";
    }
    if (d.toMillis() < 1000) {
      return d.toMillis() + "ms";
    }
    StringBuilder s = new StringBuilder();
    long seconds = d.getSeconds();
    if (seconds >= 3600) {
      s.append(seconds / 3600).append('h');
    }
    if (seconds % 3600 >= 60) {
      s.append(seconds % 3600 / 60).append('m');
    }
    if (seconds % 60 != 0 || d.getNano() != 0) {
      s.append(seconds % 60);
      if (d.getNano() != 0) {
        s.append('.').append(String.format("%03d", d.getNano() / 1_000_000));
      }
      s.append('s');
    }
    return s.toString();
  }
}
