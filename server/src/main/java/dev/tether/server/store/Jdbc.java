package dev.tether.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/** Small JDBC helpers so the stores read as SQL, not as resource plumbing. */
final class Jdbc {
  private final DataSource dataSource;

  Jdbc(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  interface RowMapper<T> {
    T map(ResultSet row) throws SQLException;
  }

  int update(String sql, Object... args) {
    try (Connection c = dataSource.getConnection(); PreparedStatement s = prepare(c, sql, args)) {
      return s.executeUpdate();
    } catch (SQLException e) {
      throw translate(sql, e);
    }
  }

  <T> List<T> query(String sql, RowMapper<T> mapper, Object... args) {
    try (Connection c = dataSource.getConnection(); PreparedStatement s = prepare(c, sql, args);
         ResultSet rows = s.executeQuery()) {
      List<T> result = new ArrayList<>();
      while (rows.next()) {
        result.add(mapper.map(rows));
      }
      return result;
    } catch (SQLException e) {
      throw translate(sql, e);
    }
  }

  /** Work on one connection inside one transaction. */
  interface TransactionWork<T> {
    T run(Connection connection) throws SQLException;
  }

  /**
   * Runs {@code work} in one transaction: everything it writes is stored, or nothing. Many writes on one
   * connection in one commit cost a fraction of as many separate statements (one fsync, one round trip per batch).
   */
  <T> T transaction(String what, TransactionWork<T> work) {
    try (Connection c = dataSource.getConnection()) {
      boolean autoCommit = c.getAutoCommit();
      c.setAutoCommit(false);
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(autoCommit);
      }
    } catch (SQLException e) {
      throw translate(what, e);
    }
  }

  /** One statement with many rows of arguments, sent as JDBC batches; the update count of each row. */
  static int[] batch(Connection c, String sql, List<Object[]> rows) throws SQLException {
    int[] counts = new int[rows.size()];
    try (PreparedStatement s = c.prepareStatement(sql)) {
      int done = 0;
      for (int i = 0; i < rows.size(); i++) {
        bind(s, rows.get(i));
        s.addBatch();
        // Bounded batches: a driver holds a whole batch in memory before it sends it.
        if ((i + 1) % BATCH_ROWS == 0 || i == rows.size() - 1) {
          int[] sent = s.executeBatch();
          System.arraycopy(sent, 0, counts, done, sent.length);
          done += sent.length;
        }
      }
    }
    return counts;
  }

  private static final int BATCH_ROWS = 1000;

  <T> Optional<T> queryOne(String sql, RowMapper<T> mapper, Object... args) {
    List<T> rows = query(sql, mapper, args);
    return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
  }

  static Instant instant(ResultSet row, String column) throws SQLException {
    Timestamp t = row.getTimestamp(column);
    return t == null ? null : t.toInstant();
  }

  static Timestamp timestamp(Instant instant) {
    return instant == null ? null : Timestamp.from(instant);
  }

  private static PreparedStatement prepare(Connection c, String sql, Object... args) throws SQLException {
    PreparedStatement s = c.prepareStatement(sql);
    bind(s, args);
    return s;
  }

  private static void bind(PreparedStatement s, Object... args) throws SQLException {
    for (int i = 0; i < args.length; i++) {
      Object arg = args[i] instanceof Instant instant ? Timestamp.from(instant) : args[i];
      s.setObject(i + 1, arg);
    }
  }

  private static RuntimeException translate(String sql, SQLException e) {
    // A failed batch (PostgreSQL) wraps the statement's own error, whose state says what went wrong.
    if (e instanceof java.sql.BatchUpdateException && e.getNextException() != null && e.getSQLState() == null) {
      e = e.getNextException();
    }
    // 23505 is the SQL standard's unique violation; H2 and PostgreSQL both use it.
    if ("23505".equals(e.getSQLState())) {
      return new DuplicateKeyException(e.getMessage(), e);
    }
    if ("23503".equals(e.getSQLState()) || "23506".equals(e.getSQLState())) {
      return new StoreException("a referenced record does not exist or is still in use: " + e.getMessage(), e);
    }
    return new StoreException("database statement failed (" + sql.strip().split("\\s+")[0] + "): " + e.getMessage(), e);
  }

  /** An insert whose key is already taken. */
  static final class DuplicateKeyException extends RuntimeException {
    DuplicateKeyException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
