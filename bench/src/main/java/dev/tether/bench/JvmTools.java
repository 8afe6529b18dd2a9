package dev.tether.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What the benchmarks read of another JVM process: its heap in use right after a full GC (jcmd GC.run,
 * then jstat), its resident set and its CPU time, from the JDK's own tools and /proc.
 */
final class JvmTools {
  private JvmTools() {}

  /** Heap in use (KiB) right after a full GC of the process. */
  static long heapAfterGcKib(long pid) throws Exception {
    run("jcmd", String.valueOf(pid), "GC.run");
    Thread.sleep(500);
    return heapInUseKib(run("jstat", "-gc", String.valueOf(pid)));
  }

  /** A field of /proc/PID/status in KiB, such as "VmRSS:" or "VmHWM:". */
  static long statusKib(long pid, String field) throws Exception {
    String status = Files.readString(Path.of("/proc", String.valueOf(pid), "status"));
    return status.lines().filter(l -> l.startsWith(field)).findFirst()
        .map(l -> Long.parseLong(l.substring(field.length()).trim().split("\\s+")[0]))
        .orElseThrow(() -> new IllegalStateException("no " + field + " in /proc status of " + pid));
  }

  /** The CPU time (user and system) the process has used since it started. */
  static Duration cpuTime(long pid) {
    return ProcessHandle.of(pid).flatMap(p -> p.info().totalCpuDuration())
        .orElseThrow(() -> new IllegalStateException("the CPU time of process " + pid + " cannot be read"));
  }

  /** The process's live threads, from /proc. */
  static long threads(long pid) throws Exception {
    String status = Files.readString(Path.of("/proc", String.valueOf(pid), "status"));
    return status.lines().filter(l -> l.startsWith("Threads:")).findFirst()
        .map(l -> Long.parseLong(l.substring("Threads:".length()).trim())).orElse(-1L);
  }

  /** The first {@code rows} rows of the heap's class histogram (jcmd GC.class_histogram), for finding what a figure is made of. */
  static String classHistogram(long pid, int rows) throws Exception {
    return String.join("\n", run("jcmd", String.valueOf(pid), "GC.class_histogram").lines().limit(rows + 3L).toList());
  }

  /** Native memory tracking's summary (the JVM must run with -XX:NativeMemoryTracking). */
  static String nativeMemory(long pid) throws Exception {
    return run("jcmd", String.valueOf(pid), "VM.native_memory", "summary");
  }

  /** The whole class histogram of the heap. */
  static String classHistogram(long pid) throws Exception {
    return run("jcmd", String.valueOf(pid), "GC.class_histogram");
  }

  /** Survivor, eden and old space in use, from `jstat -gc` (KiB). */
  private static long heapInUseKib(String jstat) {
    List<String> lines = jstat.lines().filter(l -> !l.isBlank()).toList();
    String[] names = lines.get(0).trim().split("\\s+");
    String[] values = lines.get(1).trim().split("\\s+");
    double used = 0;
    for (int i = 0; i < names.length; i++) {
      if (List.of("S0U", "S1U", "EU", "OU").contains(names[i])) {
        used += Double.parseDouble(values[i]);
      }
    }
    return Math.round(used);
  }

  /** Runs one of this JDK's tools; a failure stops the benchmark with the tool's output. */
  private static String run(String tool, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", tool).toString());
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException(tool + " " + String.join(" ", args) + " failed: " + out);
    }
    return out;
  }
}
