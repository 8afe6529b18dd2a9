package dev.tether.bench;

import java.lang.management.ManagementFactory;
import java.time.Duration;

/** CPU time of this JVM: the benchmark's clients plus the server and agent measured in it. */
final class ProcessCpu {
  private ProcessCpu() {}

  static Duration used() {
    return Duration.ofNanos(((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime());
  }
}
