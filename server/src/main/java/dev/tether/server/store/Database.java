package dev.tether.server.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Function;
import javax.sql.DataSource;

/** The server's database: a connection pool, migrated to the current schema when opened. */
public final class Database implements AutoCloseable {
  private final HikariDataSource dataSource;
  private final String description;
  private final Optional<DatabaseSettings.Postgres> shared;

  private Database(HikariDataSource dataSource, String description, Optional<DatabaseSettings.Postgres> shared) {
    this.dataSource = dataSource;
    this.description = description;
    this.shared = shared;
  }

  /** The database {@code settings} name; the embedded one lives in {@code dataDir}. */
  public static Database open(DatabaseSettings settings, Path dataDir) {
    return settings instanceof DatabaseSettings.Postgres postgres ? openPostgres(postgres) : openEmbedded(dataDir);
  }

  /**
   * The embedded store: an H2 file in the data dir, in PostgreSQL mode so that the same SQL serves
   * both. H2 locks the file, so a second server on the same data dir is refused: the embedded store
   * serves one server alone.
   */
  public static Database openEmbedded(Path dataDir) {
    Path file = dataDir.toAbsolutePath().resolve("tether");
    // DB_CLOSE_ON_EXIT=FALSE: H2's own shutdown hook would close the database while the server's hook is
    // still stopping polling and agent calls, which then fail on a closed database. The server closes
    // it last, with the connection pool.
    String url = "jdbc:h2:file:" + file + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_ON_EXIT=FALSE";
    return open(url, "tether", "", "the embedded database " + file + ".mv.db", OpenProblems::embedded, Optional.empty());
  }

  /** A PostgreSQL database, which any number of server replicas may share. */
  public static Database openPostgres(DatabaseSettings.Postgres settings) {
    return open(settings.jdbcUrl(), settings.user(), settings.password().orElse(null), "the " + settings.describe(),
        e -> OpenProblems.postgres(settings, e), Optional.of(settings));
  }

  private static Database open(String jdbcUrl, String user, String password, String description,
      Function<RuntimeException, String> explain, Optional<DatabaseSettings.Postgres> shared) {
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
      // Replicas starting together migrate one after the other: Flyway locks its history table.
      SchemaMigration.migrate(dataSource, description);
      return new Database(dataSource, description, shared);
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

  /**
   * Whether server replicas may share this database (PostgreSQL), and so must share the state they
   * keep through it; the embedded one serves one server alone.
   */
  public boolean shared() {
    return shared.isPresent();
  }

  /**
   * Connections of their own, outside the pool, for a session that lives as long as the server (the
   * one that listens for {@link ChangeNotices}); empty for the embedded database.
   */
  public Optional<ChangeNotices.ConnectionSource> ownConnections() {
    return shared.map(settings -> () -> {
      Properties properties = new Properties();
      properties.setProperty("user", settings.user());
      settings.password().ifPresent(p -> properties.setProperty("password", p));
      properties.setProperty("connectTimeout", "10");
      properties.setProperty("tcpKeepAlive", "true");
      properties.setProperty("ApplicationName", "tether-server change notices");
      return DriverManager.getConnection(settings.jdbcUrl(), properties);
    });
  }

  @Override
  public void close() {
    dataSource.close();
  }
}
