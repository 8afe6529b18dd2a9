package dev.tether.bench;

import dev.tether.cli.install.AgentJvmOptions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** JVM settings for the agent process that the agent-memory benchmark compares, each in a pod with a 512 MiB limit. */
final class AgentJvmVariants {
  private AgentJvmVariants() {}

  /** A name, the JVM's options and the environment variables the process gets beside the benchmark's own. */
  record Variant(String name, List<String> jvmOptions, Map<String, String> environment) {
    Variant(String name, List<String> jvmOptions) {
      this(name, jvmOptions, Map.of());
    }
  }

  private static final List<String> POD = List.of("-XX:MaxRAM=512m", "-XX:MaxRAMPercentage=75");

  static final List<Variant> ALL = List.of(
      new Variant("G1, heap up to 75% (before)", POD),
      new Variant("Serial GC", concat(POD, "-XX:+UseSerialGC")),
      new Variant("Serial GC, small stacks and code cache", concat(POD, "-XX:+UseSerialGC", "-Xss256k",
          "-XX:ReservedCodeCacheSize=32m", "-XX:MaxMetaspaceSize=128m", "-XX:MaxHeapFreeRatio=30", "-XX:MinHeapFreeRatio=10")),
      new Variant("and C1 only, 1 Netty arena", concat(POD, "-XX:+UseSerialGC", "-Xss256k", "-XX:ReservedCodeCacheSize=32m",
          "-XX:MaxMetaspaceSize=128m", "-XX:MaxHeapFreeRatio=30", "-XX:MinHeapFreeRatio=10", "-XX:TieredStopAtLevel=1",
          "-Dio.netty.allocator.numDirectArenas=1", "-Dio.netty.allocator.numHeapArenas=1",
          "-Dio.grpc.netty.shaded.io.netty.allocator.numDirectArenas=1", "-Dio.grpc.netty.shaded.io.netty.allocator.numHeapArenas=1")),
      new Variant("and Netty without pools (the previous install manifests)", concat(POD, "-XX:+UseSerialGC", "-Xss256k",
          "-XX:ReservedCodeCacheSize=32m", "-XX:MaxMetaspaceSize=128m", "-XX:MaxHeapFreeRatio=30", "-XX:MinHeapFreeRatio=10",
          "-XX:TieredStopAtLevel=1", "-Dio.netty.allocator.numDirectArenas=0", "-Dio.netty.allocator.numHeapArenas=0",
          "-Dio.grpc.netty.shaded.io.netty.allocator.numDirectArenas=0", "-Dio.grpc.netty.shaded.io.netty.allocator.numHeapArenas=0")),
      new Variant("install manifests now (AgentJvmOptions: young generation up to 16 MiB, native heap trimmed, one compiler thread)",
          concat(List.of("-XX:MaxRAM=512m"), AgentJvmOptions.OPTIONS.toArray(String[]::new))));

  /**
   * The variants TETHER_BENCH_MEMORY_VARIANTS names by number (1 = the first), or all; each with the
   * options of TETHER_BENCH_AGENT_JVM_OPTIONS added (space-separated), for a closer look such as
   * native memory tracking, and the variables of TETHER_BENCH_AGENT_ENV ({@code NAME=value}, space-separated).
   */
  static List<Variant> selected() {
    String chosen = System.getenv("TETHER_BENCH_MEMORY_VARIANTS");
    List<Variant> variants = chosen == null || chosen.isBlank() ? ALL
        : java.util.Arrays.stream(chosen.split(",")).map(String::trim).map(n -> ALL.get(Integer.parseInt(n) - 1)).toList();
    String extra = System.getenv().getOrDefault("TETHER_BENCH_AGENT_JVM_OPTIONS", "").strip();
    String extraEnv = System.getenv().getOrDefault("TETHER_BENCH_AGENT_ENV", "").strip();
    if (extra.isEmpty() && extraEnv.isEmpty()) {
      return variants;
    }
    Map<String, String> more = new LinkedHashMap<>();
    for (String pair : extraEnv.isEmpty() ? new String[0] : extraEnv.split("\\s+")) {
      more.put(pair.substring(0, pair.indexOf('=')), pair.substring(pair.indexOf('=') + 1));
    }
    return variants.stream().map(v -> {
      Map<String, String> env = new LinkedHashMap<>(v.environment());
      env.putAll(more);
      return new Variant((v.name() + " + " + extra + " " + extraEnv).strip(),
          extra.isEmpty() ? v.jvmOptions() : concat(v.jvmOptions(), extra.split("\\s+")), env);
    }).toList();
  }

  private static List<String> concat(List<String> base, String... more) {
    return java.util.stream.Stream.concat(base.stream(), java.util.stream.Stream.of(more)).toList();
  }
}
