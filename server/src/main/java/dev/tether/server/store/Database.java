package dev.tether.server.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;

/** The server's database: a connection pool, migrated to the current schema when opened. */
public final class Database implements AutoCloseable {
  private final HikariDataSource dataSource;

  private Database(HikariDataSource dataSource) {
    this.dataSource = dataSource;
  }

  /**
   * The embedded store: an H2 file in the data dir, in PostgreSQL mode so that the same SQL serves
   * both. H2 locks the file, so a second server on the same data dir is refused.
   */
  public static Database openEmbedded(Path dataDir) {
    Path file = dataDir.toAbsolutePath().resolve("tether");
    // DB_CLOSE_ON_EXIT=FALSE: H2's own shutdown hook would close the database while the server's hook is
    // still stopping polling and agent calls, which then fail on a closed database. The server closes
    // it last, with the connection pool.
    String url = "jdbc:h2:file:" + file + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_ON_EXIT=FALSE";
    return open(url, "tether", "", "the embedded database " + file + ".mv.db");
  }

  public static Database open(String jdbcUrl, String user, String password, String description) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(jdbcUrl);
    config.setUsername(user);
    config.setPassword(password);
    config.setMaximumPoolSize(8);
    config.setPoolName("tether-store");
    config.setConnectionTimeout(10_000);
    HikariDataSource dataSource;
    try {
      dataSource = new HikariDataSource(config);
    } catch (RuntimeException e) {
      throw new StoreException(openProblem(description, e), e);
    }
    try {
      Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();
    } catch (FlywayException e) {
      dataSource.close();
      throw new StoreException("cannot migrate " + description + " to this version's schema: " + e.getMessage(), e);
    }
    return new Database(dataSource);
  }

  private static String openProblem(String description, RuntimeException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql && sql.getMessage() != null && sql.getMessage().contains("already in use")) {
        return "cannot open " + description + ": another Tether server is using this data dir; stop it or choose another --data-dir";
      }
    }
    return "cannot open " + description + ": " + e.getMessage();
  }

  public DataSource dataSource() {
    return dataSource;
  }

  @Override
  public void close() {
    dataSource.close();
  }
}
