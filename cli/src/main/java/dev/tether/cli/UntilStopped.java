package dev.tether.cli;

import java.util.concurrent.CountDownLatch;

/** Keeps a long-running command alive until SIGTERM or Ctrl-C, then closes what it runs, once. */
final class UntilStopped {
  private UntilStopped() {}

  static int run(AutoCloseable running, String name) throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        running.close();
      } catch (Exception e) {
        System.err.println(name + ": error while stopping: " + e.getMessage());
      } finally {
        stopped.countDown();
      }
    }, name + "-shutdown"));
    stopped.await();
    return 0;
  }
}
