package dev.tether.server.connection;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs a write of what waits every {@code interval} on a thread of its own, and once more at close:
 * what a reconnect storm would otherwise write one statement per agent goes to the database in one
 * transaction per interval.
 */
final class BatchWriter implements AutoCloseable {
  private final Runnable write;
  private final ScheduledExecutorService thread;

  BatchWriter(String threadName, Duration interval, Runnable write) {
    this.write = write;
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, threadName);
      t.setDaemon(true);
      return t;
    });
    thread.scheduleWithFixedDelay(write, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Stops, after one last write of what waits. */
  @Override
  public void close() {
    thread.shutdown();
    try {
      thread.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    write.run();
  }
}
