package dev.tether.testkit.postgres;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/** One database in the test JVM's PostgreSQL, reached over TCP on loopback with a password. */
public record PostgresDatabase(String name, String host, int port, String user, String password) {

  /** {@code jdbc:postgresql://127.0.0.1:PORT/NAME}: no user or password in it, as the server wants. */
  public String jdbcUrl() {
    return "jdbc:postgresql://" + host + ":" + port + "/" + name;
  }

  public Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl(), user, password);
  }
}
