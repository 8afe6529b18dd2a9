package dev.tether.testkit.replicas;

import dev.tether.testkit.postgres.PostgresDatabase;
import dev.tether.testkit.tether.TetherJar;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * N `tether server` processes (the cli jar, each its own JVM, so a test can SIGKILL one) on one real
 * PostgreSQL database: the replicas of one server. The first one makes the development TLS material,
 * the secret key and the admin token; the others get copies, as an operator gives every replica the
 * same certificate and key.
 */
public final class ServerReplicas implements AutoCloseable {
  private static final Duration START = Duration.ofMinutes(2);

  /** The ports a replica reports once ready (it binds port 0: a port picked beforehand may be taken meanwhile). */
  private static final Pattern READY = Pattern.compile(
      " ready: agents connect to \\S*?:(\\d+) \\(TLS\\), HTTP API on \\S*?:(\\d+), Kubernetes API proxy on \\S*?:(\\d+),");

  /** One replica process and the loopback ports it bound. */
  public static final class Replica {
    private final Path dataDir;
    private final Path log;
    private int httpPort;
    private int agentPort;
    private int kubeProxyPort;
    private Process process;

    Replica(Path dataDir) {
      this.dataDir = dataDir;
      this.log = dataDir.resolveSibling(dataDir.getFileName() + ".log");
    }

    public String httpUrl() {
      return "http://127.0.0.1:" + httpPort;
    }

    public InetSocketAddress agentAddress() {
      return new InetSocketAddress("127.0.0.1", agentPort);
    }

    public String kubeProxyUrl() {
      return "https://127.0.0.1:" + kubeProxyPort;
    }

    public Path log() {
      return log;
    }

    public String logText() throws IOException {
      return Files.readString(log, StandardCharsets.UTF_8);
    }

    /** The id the replica registered with (as the status API's connections name it), from its log; "(not registered)" before. */
    public String id() throws IOException {
      return logText().lines().filter(l -> l.contains("Server replica ") && l.contains(" registered"))
          .map(l -> l.replaceAll(".*Server replica (r-[0-9a-f]+) registered.*", "$1")).findFirst().orElse("(not registered)");
    }

    public boolean isAlive() {
      return process != null && process.isAlive();
    }

    /** SIGKILL: no deregistration, no goodbye to agents, as when a machine dies. */
    public void kill() throws InterruptedException {
      process.destroyForcibly();
      process.waitFor(20, TimeUnit.SECONDS);
    }

    void start(PostgresDatabase db, List<String> more) throws Exception {
      List<String> command = new ArrayList<>(TetherJar.command("server", "--dev-tls", "--http-address", "127.0.0.1:0",
          "--agent-address", "127.0.0.1:0", "--kube-proxy-address", "127.0.0.1:0",
          "--data-dir", dataDir.toString(), "--database-url", db.jdbcUrl(), "--database-user", db.user(),
          "--replica-listen", "127.0.0.1:0"));
      command.addAll(more);
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
      builder.environment().put("TETHER_DATABASE_PASSWORD", db.password());
      process = builder.start();
      long deadline = System.nanoTime() + START.toNanos();
      while (!(Files.exists(log) && logText().contains(" ready: "))) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          process.destroyForcibly();
          throw new IllegalStateException("server replica in " + dataDir + " did not start; its log:\n"
              + (Files.exists(log) ? logText() : "(none)"));
        }
        Thread.sleep(100);
      }
      Matcher ready = READY.matcher(logText());
      if (!ready.find()) {
        process.destroyForcibly();
        throw new IllegalStateException("server replica in " + dataDir + " did not say which ports it bound; its log:\n" + logText());
      }
      agentPort = Integer.parseInt(ready.group(1));
      httpPort = Integer.parseInt(ready.group(2));
      kubeProxyPort = Integer.parseInt(ready.group(3));
    }

    void stop() throws InterruptedException {
      if (process != null && process.isAlive()) {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      }
    }
  }

  private final List<Replica> replicas = new ArrayList<>();

  private ServerReplicas() {}

  /**
   * Starts {@code count} replicas in folders under {@code dir}, one after another.
   *
   * @param more further `tether server` arguments for every replica
   */
  public static ServerReplicas start(Path dir, int count, PostgresDatabase db, String... more) throws Exception {
    ServerReplicas all = new ServerReplicas();
    try {
      for (int i = 1; i <= count; i++) {
        Path dataDir = Files.createDirectories(dir.resolve("replica-" + i));
        if (i > 1) {
          Path first = dir.resolve("replica-1");
          Files.createDirectories(dataDir.resolve("tls"));
          for (String file : List.of("tls/ca.crt", "tls/ca.key", "tls/server.crt", "tls/server.key", "secret.key", "admin-token")) {
            if (Files.exists(first.resolve(file))) {
              Files.copy(first.resolve(file), dataDir.resolve(file), StandardCopyOption.REPLACE_EXISTING,
                  StandardCopyOption.COPY_ATTRIBUTES);
            }
          }
        }
        Replica replica = new Replica(dataDir);
        all.replicas.add(replica);
        replica.start(db, List.of(more));
      }
      return all;
    } catch (Exception e) {
      all.close();
      throw e;
    }
  }

  /** Replica i, from 1. */
  public Replica get(int i) {
    return replicas.get(i - 1);
  }

  public List<Replica> all() {
    return List.copyOf(replicas);
  }

  /** The development CA agents and kubectl trust (the same for every replica). */
  public Path caFile() {
    return replicas.get(0).dataDir.resolve("tls").resolve("ca.crt");
  }

  public String adminToken() throws IOException {
    return Files.readString(replicas.get(0).dataDir.resolve("admin-token")).strip();
  }

  @Override
  public void close() throws InterruptedException {
    for (Replica replica : replicas) {
      replica.stop();
    }
  }
}
