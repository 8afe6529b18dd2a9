package dev.tether.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.cli.admin.AdminClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The agent as a process of its own, as in a pod: `tether agent` on this JVM's classpath with the
 * JVM options given, so that its memory is its own and not the benchmark's.
 */
final class AgentProcess {
  /** RSS now, its high-water mark since the process started, and the heap in use right after a full GC (KiB). */
  record Sample(long rssKib, long peakRssKib, long heapKib) {
    /** "270 MiB (41 MiB)": peak RSS and, in brackets, the heap after GC. */
    String peakAndHeap() {
      return peakRssKib / 1024 + " MiB (" + heapKib / 1024 + " MiB)";
    }
  }

  private final Process process;
  private final Path log;
  private final boolean tracksNativeMemory;

  private AgentProcess(Process process, Path log, boolean tracksNativeMemory) {
    this.process = process;
    this.log = log;
    this.tracksNativeMemory = tracksNativeMemory;
  }

  static AgentProcess start(Path log, List<String> jvmOptions, String server, Path token, Path ca, Path kubeconfig) throws Exception {
    return start(log, jvmOptions, Map.of(), server, token, ca, kubeconfig);
  }

  /** As {@link #start(Path, List, String, Path, Path, Path)}, with these environment variables beside this process's. */
  static AgentProcess start(Path log, List<String> jvmOptions, Map<String, String> environment, String server, Path token, Path ca,
      Path kubeconfig) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", agentClassPath(), "dev.tether.cli.TetherCommand", "agent", "--server", server,
        "--token-file", token.toString(), "--ca-file", ca.toString(), "--kubeconfig", kubeconfig.toString()));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().putAll(environment);
    return new AgentProcess(builder.start(), log,
        jvmOptions.stream().anyMatch(o -> o.startsWith("-XX:NativeMemoryTracking=") && !o.endsWith("=off")));
  }

  /**
   * This JVM's class path without the benchmark's own classes: the agent needs none of them, and their
   * logback.xml would make the agent read XML where the tether jar configures logging in code.
   */
  private static String agentClassPath() throws Exception {
    Path own = Path.of(AgentProcess.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    return java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
        .filter(entry -> !Path.of(entry).toAbsolutePath().equals(own.toAbsolutePath()))
        .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
  }

  /**
   * RSS now, its high-water mark and the heap after a full GC; with native memory tracking on, its
   * summary and a class histogram are written beside the log, named after {@code stage}.
   */
  Sample sample(String stage) throws Exception {
    long pid = process.pid();
    long heap = JvmTools.heapAfterGcKib(pid);
    if (tracksNativeMemory) {
      // Beside the JVM's own accounting, the kernel's: RssFile (mapped jars and libraries) and RssAnon differ from what NMT sees.
      Files.writeString(Path.of(log + "." + stage + ".nmt"), JvmTools.nativeMemory(pid) + "\n"
          + Files.readString(Path.of("/proc", String.valueOf(pid), "status")));
      Files.writeString(Path.of(log + "." + stage + ".histogram"), JvmTools.classHistogram(pid));
    }
    return new Sample(JvmTools.statusKib(pid, "VmRSS:"), JvmTools.statusKib(pid, "VmHWM:"), heap);
  }

  void stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }

  /** Waits until the server says that {@code agent} synced {@code project} after {@code asked}; fails on a failed sync. */
  static void awaitSynced(AdminClient api, String agent, String project, Instant asked, Duration limit) throws InterruptedException {
    await(() -> {
      for (JsonNode g : api.get("/api/v1/agents/" + agent + "/gitops")) {
        if (!g.get("project").asText().equals(project)) {
          continue;
        }
        if (g.get("phase").asText().equals("synced") && g.hasNonNull("finished_at")
            && Instant.parse(g.get("finished_at").asText()).isAfter(asked)) {
          return true;
        }
        if (g.get("phase").asText().equals("failed")) {
          throw new IllegalStateException(project + " failed to sync: " + g.get("message").asText());
        }
      }
      return false;
    }, limit, project + " to be synced by agent " + agent);
  }

  static void await(BooleanSupplier condition, Duration limit, String what) throws InterruptedException {
    Instant deadline = Instant.now().plus(limit);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new IllegalStateException("waited " + limit.toSeconds() + " s for " + what);
      }
      Thread.sleep(200);
    }
  }
}
