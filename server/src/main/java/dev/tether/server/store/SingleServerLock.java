package dev.tether.server.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/**
 * Keeps a second server off a PostgreSQL database that one already uses, as H2's file lock does for
 * the embedded store: servers keep live connections, tunnels and caches in their own memory, so two
 * of them on one database would each see half the agents. A session-level advisory lock, held on a
 * connection of its own for the server's life, is released when the server closes the database, and
 * by PostgreSQL when the session ends, also when the server dies.
 */
final class SingleServerLock implements AutoCloseable {
  /** Any constant will do, as long as every server uses the same one: "tether" in ASCII. */
  private static final long KEY = 0x746574686572L;

  private final Connection connection;

  private SingleServerLock(Connection connection) {
    this.connection = connection;
  }

  static SingleServerLock take(DataSource dataSource, String description) {
    Connection connection = null;
    try {
      connection = dataSource.getConnection();
      try (Statement s = connection.createStatement(); ResultSet row = s.executeQuery("select pg_try_advisory_lock(" + KEY + ")")) {
        row.next();
        if (row.getBoolean(1)) {
          return new SingleServerLock(connection);
        }
      }
      closeQuietly(connection);
      connection = null;
      throw new StoreException("another Tether server is using " + description + ": stop it, or give this server a database of"
          + " its own (several servers on one database are not supported yet)");
    } catch (SQLException e) {
      closeQuietly(connection);
      throw new StoreException("cannot lock " + description + " for this server: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    try (Statement s = connection.createStatement()) {
      // Unlocked before the connection goes back to the pool, whose sessions outlive it.
      s.execute("select pg_advisory_unlock(" + KEY + ")");
    } catch (SQLException e) {
      // The session is gone, and its lock with it.
    }
    closeQuietly(connection);
  }

  private static void closeQuietly(Connection connection) {
    if (connection == null) {
      return;
    }
    try {
      connection.close();
    } catch (SQLException e) {
      // Back in the pool or broken: either way this server no longer uses it.
    }
  }
}
