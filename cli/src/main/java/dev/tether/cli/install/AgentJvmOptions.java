package dev.tether.cli.install;

import java.util.List;

/**
 * The JVM options the agent runs with in a pod (JAVA_TOOL_OPTIONS in the install manifests and the
 * Helm chart), chosen from the agent-memory benchmark: against the JVM's defaults with a heap of 75%
 * of a 512 MiB limit, they took the idle agent from about 200 to 140 MiB RSS and its peak while
 * syncing 5000 objects from about 425 to about 210 MiB. The serial collector keeps no regions or
 * threads of its own and gives memory back after a collection (the heap-free ratios), and a young
 * generation of at most 16 MiB keeps the heap an idle agent has touched small; C1 alone, in one
 * compiler thread, compiles with a fraction of C2's memory and CPU, which on an agent whose syncs wait
 * on the API server costs little speed; small stacks and a small code cache do the rest. The native
 * heap is trimmed every 5 s (glibc keeps what the compiler and a sync's buffers freed otherwise).
 * Netty allocates without pools (no arenas) in both of the agent's copies (gRPC's shaded one and the
 * Kubernetes client's): a pool holds 4 MiB chunks per arena for the process's life, about 8 MiB of an
 * idle agent, for traffic that is a few messages a second. The metaspace cap is three times what the
 * agent was measured to use, so a leak fails loudly instead of growing into the limit.
 */
public final class AgentJvmOptions {
  private AgentJvmOptions() {}

  public static final List<String> OPTIONS = List.of(
      "-XX:MaxRAMPercentage=75",
      "-XX:+UseSerialGC",
      "-XX:MinHeapFreeRatio=10",
      "-XX:MaxHeapFreeRatio=30",
      "-XX:MaxNewSize=16m",
      "-XX:TieredStopAtLevel=1",
      "-XX:CICompilerCount=1",
      "-Xss256k",
      "-XX:ReservedCodeCacheSize=32m",
      "-XX:MaxMetaspaceSize=128m",
      "-XX:TrimNativeHeapInterval=5000",
      "-Dio.netty.allocator.numDirectArenas=0",
      "-Dio.netty.allocator.numHeapArenas=0",
      "-Dio.grpc.netty.shaded.io.netty.allocator.numDirectArenas=0",
      "-Dio.grpc.netty.shaded.io.netty.allocator.numHeapArenas=0");

  /** The value of JAVA_TOOL_OPTIONS. */
  public static String javaToolOptions() {
    return String.join(" ", OPTIONS);
  }
}
