package dev.tether.cli;

import dev.tether.common.config.GoDuration;
import java.time.Duration;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads durations as config files write them: {@code 10s}, {@code 5m}, {@code 1h30m}. */
public final class DurationConverter implements ITypeConverter<Duration> {
  @Override
  public Duration convert(String value) {
    Duration d = GoDuration.parse(value).orElseThrow(() ->
        new TypeConversionException("'" + value + "' is not a duration; write it like 10s, 5m or 1h30m"));
    if (d.isZero() || d.isNegative()) {
      throw new TypeConversionException("'" + value + "' must be more than zero");
    }
    return d;
  }
}
