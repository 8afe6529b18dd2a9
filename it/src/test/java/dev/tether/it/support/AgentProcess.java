package dev.tether.it.support;

import dev.tether.testkit.tether.TetherJar;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One replica of an agent as its own `tether agent` process (the cli jar), so that a test can SIGKILL it
 * as a node dies: no Lease released, no goodbye to the server. It runs GitOps only while it holds the
 * Lease; its output goes to a log file.
 */
public final class AgentProcess implements AutoCloseable {
  private final Process process;
  private final Path log;

  private AgentProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /**
   * Starts a replica named {@code identity} in the Lease {@code leaseNamespace/leaseName} (the pod name, as
   * `--replicas 2` gives each replica), heartbeating every second.
   *
   * @param server host:port of a server replica or of a load balancer in front of them
   */
  public static AgentProcess leaseReplica(Path log, String server, Path tokenFile, Path caFile, Path kubeconfig,
      String leaseNamespace, String leaseName, String identity) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(TetherJar.command("agent", "--server", server, "--token-file", tokenFile.toString(),
        "--ca-file", caFile.toString(), "--kubeconfig", kubeconfig.toString(), "--heartbeat-interval", "1s",
        "--gitops-lease", "on", "--gitops-lease-namespace", leaseNamespace, "--gitops-lease-name", leaseName))
        .redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("POD_NAME", identity);
    return new AgentProcess(builder.start(), log);
  }

  /** SIGKILL, and waits until the process is gone. */
  public void kill() throws InterruptedException {
    process.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public Path log() {
    return log;
  }

  /** The log's last lines: what to print when a test fails. */
  public List<String> tail(int lines) throws IOException {
    List<String> all = Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
    return all.subList(Math.max(0, all.size() - lines), all.size());
  }

  @Override
  public void close() throws InterruptedException {
    kill();
  }
}
