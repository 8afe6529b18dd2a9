package dev.tether.server.store;

import java.sql.SQLException;
import java.util.Optional;

/** Why a database could not be opened, said so that the operator knows what to change. */
final class OpenProblems {
  private OpenProblems() {}

  static String embedded(RuntimeException e) {
    return sqlException(e).filter(sql -> sql.getMessage() != null && sql.getMessage().contains("already in use"))
        .map(sql -> "cannot open the embedded database: another Tether server is using this data dir; stop it or choose another --data-dir")
        .orElse("cannot open the embedded database: " + e.getMessage());
  }

  static String postgres(DatabaseSettings.Postgres settings, RuntimeException e) {
    Optional<SQLException> sql = sqlException(e);
    String state = sql.map(SQLException::getSQLState).orElse("");
    // The driver's sentences end with a period; ours follow after one.
    String said = sql.map(SQLException::getMessage).orElse(String.valueOf(e.getMessage())).strip().replaceAll("\\.+$", "");
    if (state.equals("28P01") || state.equals("28000")) {
      // 28P01: wrong password (or, with SCRAM, an unknown user); 28000: no pg_hba.conf entry lets this user in from here.
      return "PostgreSQL refused user '" + settings.user() + "' at " + settings.address() + ": " + said
          + ". Check --database-user and the password in --database-password-file or TETHER_DATABASE_PASSWORD, and that"
          + " PostgreSQL's pg_hba.conf lets this user in from this host";
    }
    if (state.equals("08004") && settings.password().isEmpty()) {
      // The driver's words for "PostgreSQL asked for a password and there was none".
      return "PostgreSQL at " + settings.address() + " asks for a password for user '" + settings.user() + "' and none was given:"
          + " put it in the file --database-password-file names, or in TETHER_DATABASE_PASSWORD (" + said + ")";
    }
    if (state.equals("3D000")) {
      return "the " + settings.describe() + " does not exist: create it (for example `createdb --owner " + settings.user()
          + " DATABASE`) or correct --database-url";
    }
    if (state.startsWith("08") || state.isEmpty()) {
      return "cannot reach the " + settings.describe() + ": " + said + ". Check that PostgreSQL runs and listens on the host and"
          + " port --database-url names, and that nothing in between blocks the connection";
    }
    return "cannot open the " + settings.describe() + ": " + said;
  }

  private static Optional<SQLException> sqlException(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql) {
        return Optional.of(sql);
      }
    }
    return Optional.empty();
  }
}
