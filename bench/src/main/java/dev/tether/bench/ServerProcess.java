package dev.tether.bench;

import dev.tether.testkit.postgres.PostgresDatabase;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * `tether server` in a JVM of its own, as an operator runs it, so that its heap, threads and CPU time
 * are its own: on fixed loopback ports (picked once) so that it can be stopped and started again at
 * the same address its agents dial, with development TLS and its state in the data dir (H2) or in a
 * PostgreSQL database.
 */
final class ServerProcess implements AutoCloseable {
  private static final Duration START = Duration.ofMinutes(3);

  private final Path dataDir;
  private final Path log;
  private final Optional<PostgresDatabase> database;
  private final List<String> jvmOptions;
  private final int httpPort;
  private final int agentPort;
  private final int kubeProxyPort;
  private Process process;
  private int starts;

  private ServerProcess(Path dataDir, Optional<PostgresDatabase> database, List<String> jvmOptions) throws IOException {
    this.dataDir = dataDir;
    this.log = dataDir.resolveSibling(dataDir.getFileName() + ".log");
    this.database = database;
    this.jvmOptions = List.copyOf(jvmOptions);
    this.httpPort = freePort();
    this.agentPort = freePort();
    this.kubeProxyPort = freePort();
  }

  /** Starts the server; its log (each start appended) is next to the data dir. */
  static ServerProcess start(Path dataDir, Optional<PostgresDatabase> database, List<String> jvmOptions) throws Exception {
    ServerProcess server = new ServerProcess(dataDir, database, jvmOptions);
    server.startAgain();
    return server;
  }

  /** Starts the process (again, after {@link #stop}) and waits until it says it is ready. */
  void startAgain() throws Exception {
    starts++;
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.tether.cli.TetherCommand", "server", "--dev-tls",
        "--http-address", "127.0.0.1:" + httpPort, "--agent-address", "127.0.0.1:" + agentPort,
        "--kube-proxy-address", "127.0.0.1:" + kubeProxyPort, "--data-dir", dataDir.toString(), "--allow-local-git-paths",
        "--poll-interval", "10s"));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    database.ifPresent(db -> {
      command.addAll(List.of("--database-url", db.jdbcUrl(), "--database-user", db.user()));
      builder.environment().put("TETHER_DATABASE_PASSWORD", db.password());
    });
    builder.command(command);
    Files.createDirectories(log.getParent());
    long logBefore = Files.exists(log) ? Files.size(log) : 0;
    process = builder.start();
    long deadline = System.nanoTime() + START.toNanos();
    while (true) {
      String written = Files.readString(log, StandardCharsets.UTF_8);
      String thisStart = written.substring((int) Math.min(logBefore, written.length()));
      if (thisStart.contains(" ready: ")) {
        return;
      }
      if (!process.isAlive() || System.nanoTime() > deadline) {
        process.destroyForcibly();
        throw new IllegalStateException("the server did not start (start " + starts + "); see its log " + log + ":\n"
            + thisStart.lines().skip(Math.max(0, thisStart.lines().count() - 30)).reduce("", (a, b) -> a + b + "\n"));
      }
      Thread.sleep(100);
    }
  }

  /** Stops the process as an operator does (SIGTERM) and waits for its end. */
  void stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  long pid() {
    return process.pid();
  }

  String agentAddress() {
    return "127.0.0.1:" + agentPort;
  }

  String httpUrl() {
    return "http://127.0.0.1:" + httpPort;
  }

  Path caFile() {
    return dataDir.resolve("tls").resolve("ca.crt");
  }

  Path adminTokenFile() {
    return dataDir.resolve("admin-token");
  }

  Path log() {
    return log;
  }

  String description() {
    return database.map(db -> "PostgreSQL").orElse("H2");
  }

  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      stop();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
