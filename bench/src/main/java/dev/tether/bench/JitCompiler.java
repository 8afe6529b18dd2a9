package dev.tether.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

/**
 * This JVM's JIT compiler, watched so that measurements start once it is idle. The server and agent
 * measured here run in this JVM and share the machine's cores with the API server: a compiler thread
 * still busy with their hot paths takes CPU from everything measured, which an agent or server that
 * has run for a while does not.
 *
 * <p>What counts is the CPU time of the compiler threads, read from {@code /proc} (the benchmarks
 * run the Linux control plane, so Linux is given). The JVM's own compilation time counts elapsed
 * time, which on a busy machine includes the time a compiler thread waited for a core: it reported
 * more compilation than the whole JVM's CPU time. {@code tools/bench.sh} keeps the compiler threads
 * alive for the whole run, so that none takes its CPU time with it when it ends.
 */
final class JitCompiler {
  /** Milliseconds of compilation per second below which the compiler counts as idle. */
  static final long IDLE_MILLIS_PER_SECOND = 20;
  /** Linux reports thread CPU time in clock ticks of 1/100 s (USER_HZ) on every mainstream architecture. */
  private static final long MILLIS_PER_TICK = 10;
  private static final Path TASKS = Path.of("/proc/self/task");

  /** CPU time the compiler threads used since the JVM started, in milliseconds. */
  long totalMillis() {
    try (Stream<Path> tasks = Files.list(TASKS)) {
      return tasks.mapToLong(JitCompiler::compilerTicks).sum() * MILLIS_PER_TICK;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read this JVM's threads in " + TASKS, e);
    }
  }

  /** A thread's user and system ticks if it is a C1 or C2 compiler thread, else 0. */
  private static long compilerTicks(Path task) {
    String stat;
    try {
      stat = Files.readString(task.resolve("stat"));
    } catch (IOException ended) {
      return 0;
    }
    // pid (comm) state ...: the name may hold spaces and brackets, so split around the last ')'.
    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    if (!name.startsWith("C1 CompilerThre") && !name.startsWith("C2 CompilerThre")) {
      return 0;
    }
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    // Fields 14 and 15 of stat (utime, stime) are 11 and 12 after the name.
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }

  /** Waits as {@link #awaitIdle} before a measured round, at most {@code cap}; says so on the console when it gave up. */
  void awaitIdleBeforeMeasuring(String benchmark, Duration cap) throws InterruptedException {
    if (!awaitIdle(cap)) {
      System.out.printf("[%s] the JIT compiler was still busy after %d s; measuring anyway%n", benchmark, cap.toSeconds());
    }
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
