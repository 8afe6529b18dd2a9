package dev.tether.bench;

import java.util.List;

/** JVM settings for the agent process that the agent-memory benchmark compares, each in a pod with a 512 MiB limit. */
final class AgentJvmVariants {
  private AgentJvmVariants() {}

  record Variant(String name, List<String> jvmOptions) {}

  private static final List<String> POD = List.of("-XX:MaxRAM=512m", "-XX:MaxRAMPercentage=75");

  static final List<Variant> ALL = List.of(
      new Variant("G1, heap up to 75% (before)", POD),
      new Variant("Serial GC", concat(POD, "-XX:+UseSerialGC")),
      new Variant("Serial GC, small stacks and code cache", concat(POD, "-XX:+UseSerialGC", "-Xss256k",
          "-XX:ReservedCodeCacheSize=32m", "-XX:MaxMetaspaceSize=128m", "-XX:MaxHeapFreeRatio=30", "-XX:MinHeapFreeRatio=10")),
      new Variant("… and 1 Netty arena", concat(POD, "-XX:+UseSerialGC", "-Xss256k", "-XX:ReservedCodeCacheSize=32m",
          "-XX:MaxMetaspaceSize=128m", "-XX:MaxHeapFreeRatio=30", "-XX:MinHeapFreeRatio=10",
          "-Dio.netty.allocator.numDirectArenas=1", "-Dio.netty.allocator.numHeapArenas=1",
          "-Dio.grpc.netty.shaded.io.netty.allocator.numDirectArenas=1",
          "-Dio.grpc.netty.shaded.io.netty.allocator.numHeapArenas=1")),
      new Variant("… and C1 only", concat(POD, "-XX:+UseSerialGC", "-Xss256k", "-XX:ReservedCodeCacheSize=32m",
          "-XX:MaxMetaspaceSize=128m", "-XX:MaxHeapFreeRatio=30", "-XX:MinHeapFreeRatio=10",
          "-Dio.netty.allocator.numDirectArenas=1", "-Dio.netty.allocator.numHeapArenas=1",
          "-Dio.grpc.netty.shaded.io.netty.allocator.numDirectArenas=1",
          "-Dio.grpc.netty.shaded.io.netty.allocator.numHeapArenas=1", "-XX:TieredStopAtLevel=1")));

  private static List<String> concat(List<String> base, String... more) {
    return java.util.stream.Stream.concat(base.stream(), java.util.stream.Stream.of(more)).toList();
  }
}
