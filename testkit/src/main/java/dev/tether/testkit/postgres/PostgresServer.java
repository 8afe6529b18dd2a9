package dev.tether.testkit.postgres;

import dev.tether.testkit.process.ExternalCommand;
import dev.tether.testkit.process.FreePort;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for tests: a fresh cluster in a temporary folder, listening on a free
 * loopback port with password (SCRAM) authentication and a Unix socket folder of its own. PostgreSQL
 * refuses to run as root, so when the tests run as root, {@code initdb} and {@code postgres} run as
 * the {@code postgres} user that Debian's package creates. Durability is off: test data is thrown away.
 */
public final class PostgresServer implements AutoCloseable {
  /** Part of the data folder's name and of every process title, so that leftovers can be found. */
  public static final String MARKER = "tether-test-postgres";
  private static final String SUPERUSER = "tether";
  private static final Duration START = Duration.ofSeconds(60);
  private static final int START_ATTEMPTS = 3;

  private final Path root;
  private final Path log;
  private final String password;
  private final int port;
  private final Process process;
  private final Process watchdog;
  private boolean closed;

  private PostgresServer(Path root, Path log, String password, int port, Process process, Process watchdog) {
    this.root = root;
    this.log = log;
    this.password = password;
    this.port = port;
    this.process = process;
    this.watchdog = watchdog;
  }

  /** Makes a new cluster and starts it; its log goes to {@code logDir/postgres.log}. */
  public static PostgresServer start(PostgresBinaries binaries, Path logDir) {
    List<String> runAs = unprivilegedPrefix();
    Path root;
    String password = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
    try {
      Files.createDirectories(logDir);
      // Not under the build folder: the unprivileged user may not be able to reach it (a home folder is often 0700).
      root = Files.createTempDirectory(MARKER + "-");
      Files.writeString(root.resolve("superuser-password"), password + "\n");
      if (!runAs.isEmpty()) {
        ExternalCommand.of("chown", "-R", "postgres:", root.toString()).run().orThrow();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare a folder for PostgreSQL", e);
    }
    List<String> initdb = new ArrayList<>(runAs);
    initdb.addAll(List.of(binaries.initdb().toString(), "-D", root.resolve("data").toString(), "-U", SUPERUSER,
        "--pwfile=" + root.resolve("superuser-password"), "--auth-local=trust", "--auth-host=scram-sha-256",
        "--no-locale", "--encoding=UTF8", "--no-sync"));
    ExternalCommand.of(initdb).timeout(Duration.ofMinutes(2)).run().orThrow();

    IllegalStateException last = null;
    for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      Path log = logDir.resolve("postgres.log");
      int port = FreePort.pick();
      Process process = launch(binaries, runAs, root, port, log);
      try {
        awaitReady(process, port, password, log);
        return new PostgresServer(root, log, password, port, process, watchdog(process));
      } catch (IllegalStateException e) {
        // The port was free when picked, but another program may have taken it since.
        last = e;
        process.destroyForcibly();
        System.out.println("[postgres] start attempt " + attempt + " failed: " + e.getMessage());
      }
    }
    deleteRecursively(root);
    throw last;
  }

  private static List<String> unprivilegedPrefix() {
    if (!ExternalCommand.of("id", "-u").run().orThrow().stdout().strip().equals("0")) {
      return List.of();
    }
    if (!ExternalCommand.of("id", "-u", "postgres").run().succeeded()) {
      throw new IllegalStateException("PostgreSQL refuses to run as root and there is no 'postgres' user to run it as: install"
          + " Debian's postgresql package (it creates that user), or run the tests as another user");
    }
    return List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--");
  }

  private static Process launch(PostgresBinaries binaries, List<String> runAs, Path root, int port, Path log) {
    List<String> command = new ArrayList<>(runAs);
    command.addAll(List.of(binaries.postgres().toString(), "-D", root.resolve("data").toString(),
        "-h", "127.0.0.1", "-p", String.valueOf(port), "-k", root.toString(),
        "-c", "cluster_name=" + MARKER, "-c", "max_connections=200",
        "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"));
    try {
      return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + binaries.postgres() + ": " + e.getMessage(), e);
    }
  }

  /** Ready means a real login works: PostgreSQL accepts TCP connections before it accepts sessions. */
  private static void awaitReady(Process process, int port, String password, Path log) {
    long deadline = System.nanoTime() + START.toNanos();
    String lastProblem = "no answer yet";
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("postgres exited with code " + process.exitValue() + "; its log " + log + " ends with:\n" + tail(log));
      }
      try {
        DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres?connectTimeout=2", SUPERUSER, password).close();
        return;
      } catch (SQLException e) {
        lastProblem = e.getMessage();
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for postgres", e);
      }
    }
    throw new IllegalStateException("postgres did not accept a login on 127.0.0.1:" + port + " within " + START + " (" + lastProblem
        + "); its log " + log + " ends with:\n" + tail(log));
  }

  /** Should this JVM die without closing us, PostgreSQL is stopped all the same. */
  private static Process watchdog(Process postgres) {
    try {
      return new ProcessBuilder("sh", "-c",
          "while kill -0 \"$0\" 2>/dev/null; do sleep 1; done; kill -INT \"$1\" 2>/dev/null; sleep 5; kill -9 \"$1\" 2>/dev/null",
          String.valueOf(ProcessHandle.current().pid()), String.valueOf(postgres.pid()))
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    } catch (IOException e) {
      postgres.destroyForcibly();
      throw new UncheckedIOException("cannot start PostgreSQL's watchdog", e);
    }
  }

  /** A new, empty database owned by the superuser, whose password the returned record carries. */
  public PostgresDatabase createDatabase(String name) {
    execute("create database \"" + name + "\"");
    return database(name);
  }

  /** Drops a database, closing any session still connected to it. */
  public void dropDatabase(String name) {
    execute("drop database if exists \"" + name + "\" with (force)");
  }

  /** The cluster's {@code postgres} database as the superuser, for tests that set up roles of their own. */
  public PostgresDatabase admin() {
    return database("postgres");
  }

  public int port() {
    return port;
  }

  public Path log() {
    return log;
  }

  private PostgresDatabase database(String name) {
    return new PostgresDatabase(name, "127.0.0.1", port, SUPERUSER, password);
  }

  private void execute(String sql) {
    try (Connection c = admin().connect(); Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("PostgreSQL on 127.0.0.1:" + port + " refused `" + sql + "`: " + e.getMessage(), e);
    }
  }

  /** Fast shutdown (SIGINT: sessions are ended, not waited for), then the cluster's folder is removed. Safe to call twice. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    ExternalCommand.of("kill", "-INT", String.valueOf(process.pid())).run();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    watchdog.destroyForcibly();
    deleteRecursively(root);
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(unreadable: " + e.getMessage() + ")";
    }
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      System.out.println("[postgres] could not remove " + dir + ": " + e.getMessage());
    }
  }
}
