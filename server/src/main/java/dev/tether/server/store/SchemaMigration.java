package dev.tether.server.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Optional;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.MigrationState;
import org.flywaydb.core.api.MigrationVersion;

/**
 * Brings a database to this version's schema with Flyway. One set of migrations serves H2 (in
 * PostgreSQL mode) and PostgreSQL: they use only SQL both accept.
 */
final class SchemaMigration {
  static final String LOCATION = "classpath:db/migration";
  private static final String OWNER_HINT = ". The database user may not create tables: make it the database's owner"
      + " (ALTER DATABASE ... OWNER TO ...), or have the owner run this version once";

  private SchemaMigration() {}

  static void migrate(DataSource dataSource, String description) {
    Flyway flyway = Flyway.configure().dataSource(dataSource).locations(LOCATION).load();
    try {
      MigrationInfoService info = flyway.info();
      refuseNewerSchema(info, description);
      if (info.pending().length > 0) {
        requireCreatePrivilege(dataSource, description);
      }
      flyway.migrate();
    } catch (FlywayException e) {
      throw new StoreException("cannot migrate " + description + " to this version's schema: " + e.getMessage()
          + permissionHint(e), e);
    }
  }

  /**
   * Flyway would ignore migrations it does not know and let this server write a schema it does not
   * understand: a newer Tether migrated the database, and an older one must not run on it.
   */
  private static void refuseNewerSchema(MigrationInfoService info, String description) {
    Optional<MigrationVersion> newest = Arrays.stream(info.all())
        .filter(m -> m.getState() == MigrationState.FUTURE_SUCCESS || m.getState() == MigrationState.FUTURE_FAILED)
        .map(MigrationInfo::getVersion).max(Comparator.naturalOrder());
    if (newest.isEmpty()) {
      return;
    }
    String known = Arrays.stream(info.all()).filter(m -> m.getState() != MigrationState.FUTURE_SUCCESS
            && m.getState() != MigrationState.FUTURE_FAILED && m.getVersion() != null)
        .map(MigrationInfo::getVersion).max(Comparator.naturalOrder()).map(MigrationVersion::getVersion).orElse("none");
    throw new StoreException(description + " has schema version " + newest.get().getVersion() + ", newer than this server"
        + " knows (up to " + known + "): a newer Tether has migrated it. Run that version or a newer one; to go back to this"
        + " version, restore the backup taken before the upgrade");
  }

  /**
   * Said before Flyway tries: it would retry creating its history table for ten seconds first. Only
   * when there is something to migrate, so a user without CREATE runs a schema its owner migrated.
   */
  private static void requireCreatePrivilege(DataSource dataSource, String description) {
    try (Connection c = dataSource.getConnection()) {
      if (!c.getMetaData().getDatabaseProductName().equals("PostgreSQL")) {
        return;
      }
      try (Statement s = c.createStatement(); ResultSet row = s.executeQuery(
          "select current_user, current_schema(), has_schema_privilege(current_schema(), 'CREATE')")) {
        row.next();
        if (!row.getBoolean(3)) {
          throw new StoreException("cannot migrate " + description + " to this version's schema: user '" + row.getString(1)
              + "' may not create tables in schema '" + row.getString(2) + "'" + OWNER_HINT);
        }
      }
    } catch (SQLException e) {
      throw new StoreException("cannot migrate " + description + " to this version's schema: " + e.getMessage(), e);
    }
  }

  private static String permissionHint(FlywayException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql && "42501".equals(sql.getSQLState())) {
        return OWNER_HINT;
      }
    }
    return "";
  }
}
