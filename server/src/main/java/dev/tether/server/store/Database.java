package dev.tether.server.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.util.function.BiFunction;
import java.util.function.Function;
import javax.sql.DataSource;

/** The server's database: a connection pool, migrated to the current schema when opened. */
public final class Database implements AutoCloseable {
  private final HikariDataSource dataSource;
  private final String description;
  private final AutoCloseable serverLock;

  private Database(HikariDataSource dataSource, String description, AutoCloseable serverLock) {
    this.dataSource = dataSource;
    this.description = description;
    this.serverLock = serverLock;
  }

  /** The database {@code settings} name; the embedded one lives in {@code dataDir}. */
  public static Database open(DatabaseSettings settings, Path dataDir) {
    return settings instanceof DatabaseSettings.Postgres postgres ? openPostgres(postgres) : openEmbedded(dataDir);
  }

  /**
   * The PostgreSQL database that server replicas share: without the lock that keeps a second server
   * off, since each replica publishes where its agents are and routes to the others.
   */
  public static Database openShared(DatabaseSettings.Postgres settings) {
    return open(settings.jdbcUrl(), settings.user(), settings.password().orElse(null), "the " + settings.describe(),
        e -> OpenProblems.postgres(settings, e), (ds, d) -> () -> {});
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
    // H2 locks the file itself.
    return open(url, "tether", "", "the embedded database " + file + ".mv.db", OpenProblems::embedded, (ds, d) -> () -> {});
  }

  public static Database openPostgres(DatabaseSettings.Postgres settings) {
    return open(settings.jdbcUrl(), settings.user(), settings.password().orElse(null), "the " + settings.describe(),
        e -> OpenProblems.postgres(settings, e), SingleServerLock::take);
  }

  private static Database open(String jdbcUrl, String user, String password, String description,
      Function<RuntimeException, String> explain, BiFunction<DataSource, String, AutoCloseable> lock) {
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
      throw new StoreException(explain.apply(e), e);
    }
    try {
      AutoCloseable serverLock = lock.apply(dataSource, description);
      try {
        SchemaMigration.migrate(dataSource, description);
      } catch (RuntimeException e) {
        closeLock(serverLock);
        throw e;
      }
      return new Database(dataSource, description, serverLock);
    } catch (RuntimeException e) {
      dataSource.close();
      throw e;
    }
  }

  public DataSource dataSource() {
    return dataSource;
  }

  /** Which database this is, for messages; never the password. */
  public String description() {
    return description;
  }

  @Override
  public void close() {
    closeLock(serverLock);
    dataSource.close();
  }

  private static void closeLock(AutoCloseable lock) {
    try {
      lock.close();
    } catch (Exception e) {
      throw new StoreException("cannot release the database's server lock: " + e.getMessage(), e);
    }
  }
}
