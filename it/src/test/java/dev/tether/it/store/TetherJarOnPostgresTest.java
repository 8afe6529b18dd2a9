package dev.tether.it.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.testkit.postgres.PostgresDatabase;
import dev.tether.testkit.postgres.WithPostgres;
import dev.tether.testkit.process.ProcessResult;
import dev.tether.testkit.tether.TetherJar;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `tether server` as an operator runs it on PostgreSQL: the password from the environment or a file, never from argv. */
@WithPostgres
class TetherJarOnPostgresTest {

  /** {@code tether server} on loopback with development TLS and the test's database, then {@code more}. */
  private static String[] serverArgs(Path dataDir, PostgresDatabase pg, String... more) {
    List<String> args = new ArrayList<>(List.of("server", "--dev-tls", "--http-address", "127.0.0.1:0",
        "--agent-address", "127.0.0.1:0", "--kube-proxy-address", "127.0.0.1:0", "--data-dir", dataDir.toString(),
        "--database-url", pg.jdbcUrl(), "--database-user", pg.user()));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  @Test
  @DisplayName("with TETHER_DATABASE_PASSWORD the server migrates PostgreSQL, serves, and stops on SIGTERM; the password is in no argument or log line")
  void passwordFromTheEnvironment(@TempDir Path dataDir, PostgresDatabase pg) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(TetherJar.command(serverArgs(dataDir, pg))).redirectErrorStream(true);
    builder.environment().put("TETHER_DATABASE_PASSWORD", pg.password());
    Process server = builder.start();
    StringBuffer output = new StringBuffer();
    Thread reader = new Thread(() -> {
      try (BufferedReader lines = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = lines.readLine()) != null; ) {
          output.append(line).append('\n');
        }
      } catch (IOException ended) {
        // the process ended
      }
    });
    reader.start();
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> output.toString().contains(" ready: ") || !server.isAlive());
      assertThat(output.toString()).contains("State kept in the PostgreSQL database " + pg.jdbcUrl() + " as user 'tether'");
      assertThat(server.info().arguments().orElseThrow()).noneMatch(a -> a.contains(pg.password()));
      try (Connection c = pg.connect(); Statement s = c.createStatement();
           ResultSet rows = s.executeQuery("select count(*) from flyway_schema_history where success")) {
        rows.next();
        assertThat(rows.getInt(1)).as("migrations applied to PostgreSQL").isPositive();
      }
      try (var files = Files.list(dataDir)) {
        assertThat(files.map(p -> p.getFileName().toString())).noneMatch(name -> name.endsWith(".mv.db"));
      }
      server.destroy();
      assertThat(server.waitFor(20, TimeUnit.SECONDS)).as("server exits after SIGTERM").isTrue();
      reader.join(5_000);
      assertThat(output.toString()).doesNotContain(pg.password());
    } finally {
      server.destroyForcibly();
    }
  }

  @Test
  @DisplayName("a wrong password in --database-password-file stops the server with what to check, and without the password")
  void wrongPasswordFromAFile(@TempDir Path dir, PostgresDatabase pg) throws IOException {
    Path passwordFile = Files.writeString(dir.resolve("db-password"), "wrong-" + pg.password() + "\n");
    ProcessResult result = TetherJar.run(serverArgs(dir.resolve("data"), pg, "--database-password-file", passwordFile.toString())).run();
    assertThat(result.exitCode()).isNotZero();
    String all = result.stdout() + result.stderr();
    assertThat(all).contains("PostgreSQL refused user 'tether' at " + pg.jdbcUrl())
        .contains("Check --database-user and the password in --database-password-file or TETHER_DATABASE_PASSWORD")
        .doesNotContain(pg.password());
  }

  @Test
  @DisplayName("a password inside --database-url is refused before anything starts")
  void passwordInTheUrl(@TempDir Path dataDir, PostgresDatabase pg) {
    ProcessResult result = TetherJar.run("server", "--dev-tls", "--data-dir", dataDir.toString(),
        "--database-url", pg.jdbcUrl() + "?password=" + pg.password()).run();
    assertThat(result.exitCode()).isNotZero();
    assertThat(result.stderr()).contains("--database-url must not carry the password").contains("--database-password-file");
  }
}
