package dev.tether.testkit.process;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Stops a started program the way its users would: SIGTERM first, SIGKILL only if it does not exit in time. */
public final class Stopping {
  private Stopping() {}

  public static void gracefully(Process process, Duration grace) {
    process.destroy();
    try {
      if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
