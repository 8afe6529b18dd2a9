package dev.tether.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;

/**
 * This JVM's JIT compiler, watched so that measurements start once it is idle. The server and agent
 * measured here run in this JVM and share the machine's cores with the API server: a compiler thread
 * still busy with their hot paths takes CPU from everything measured, which an agent or server that
 * has run for a while does not.
 */
final class JitCompiler {
  /** Milliseconds of compilation per second below which the compiler counts as idle. */
  static final long IDLE_MILLIS_PER_SECOND = 20;

  private final CompilationMXBean bean = ManagementFactory.getCompilationMXBean();

  /** Milliseconds spent compiling since the JVM started. */
  long totalMillis() {
    return bean.getTotalCompilationTime();
  }

  /** Waits until a second passes with (almost) no compilation, at most {@code cap}; whether it did. */
  boolean awaitIdle(Duration cap) throws InterruptedException {
    long deadline = System.nanoTime() + cap.toNanos();
    long before = totalMillis();
    while (System.nanoTime() < deadline) {
      Thread.sleep(1000);
      long now = totalMillis();
      if (now - before < IDLE_MILLIS_PER_SECOND) {
        return true;
      }
      before = now;
    }
    return false;
  }
}
