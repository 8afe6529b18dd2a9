package dev.tether.server.render;

import java.time.Duration;

/**
 * Bounds on one render: a source is hostile input, so what it may read, how long it may run and how
 * much it may print are all capped, and each cap is named when it is hit.
 */
public record RenderLimits(int maxFiles, long maxFileBytes, long maxTotalBytes, Duration timeout, long maxOutputBytes) {
  public static final RenderLimits DEFAULT =
      new RenderLimits(20_000, 5L * 1024 * 1024, 100L * 1024 * 1024, Duration.ofSeconds(60), 100L * 1024 * 1024);

  public RenderLimits withTimeout(Duration value) {
    return new RenderLimits(maxFiles, maxFileBytes, maxTotalBytes, value, maxOutputBytes);
  }

  public RenderLimits withMaxOutputBytes(long value) {
    return new RenderLimits(maxFiles, maxFileBytes, maxTotalBytes, timeout, value);
  }

  public RenderLimits withMaxFiles(int value) {
    return new RenderLimits(value, maxFileBytes, maxTotalBytes, timeout, maxOutputBytes);
  }

  public RenderLimits withMaxTotalBytes(long value) {
    return new RenderLimits(maxFiles, maxFileBytes, value, timeout, maxOutputBytes);
  }
}
