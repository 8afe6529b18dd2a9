package dev.tether.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.testkit.postgres.PostgresDatabase;
import dev.tether.testkit.postgres.WithPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One set of migrations serves both databases: every migration (whatever its number) applies on
 * H2 and on PostgreSQL, and the two end with the same tables, columns (type, length, nullability,
 * identity) and indexes. The only difference allowed is H2's own: it indexes every foreign key, which
 * PostgreSQL leaves to the schema; those foreign keys are printed, as they are scanned on PostgreSQL.
 */
@WithPostgres
class SchemaEqualityTest {
  private static final String HISTORY = "flyway_schema_history";
  private static final long H2_UNBOUNDED_VARCHAR = 1_000_000_000L;

  @Test
  void h2AndPostgresEndWithTheSameSchema(@TempDir Path dir, PostgresDatabase pg) throws SQLException {
    try (Database h2 = Database.openEmbedded(dir);
         Database postgres = Database.openPostgres(new DatabaseSettings.Postgres(pg.jdbcUrl(), pg.user(), Optional.of(pg.password())));
         Connection h2c = h2.dataSource().getConnection();
         Connection pgc = postgres.dataSource().getConnection()) {
      List<String> h2Versions = appliedVersions(h2c);
      assertThat(h2Versions).as("migrations applied on H2").isNotEmpty().doesNotHaveDuplicates();
      assertThat(appliedVersions(pgc)).as("migrations applied on PostgreSQL").isEqualTo(h2Versions);

      Map<String, String> h2Columns = columns(h2c);
      assertThat(h2Columns).as("tables of the schema").isNotEmpty();
      assertThat(columns(pgc)).isEqualTo(h2Columns);

      Set<String> pgIndexes = indexes(pgc);
      Set<String> h2Indexes = indexes(h2c);
      assertThat(h2Indexes).containsAll(pgIndexes);
      Set<String> onlyH2 = new TreeSet<>(h2Indexes);
      onlyH2.removeAll(pgIndexes);
      Set<String> foreignKeys = foreignKeys(h2c);
      assertThat(foreignKeys).as("the indexes H2 has beyond PostgreSQL's are those it makes for foreign keys").containsAll(onlyH2);
      for (String fk : onlyH2) {
        String columns = fk.substring(0, fk.length() - ") index".length());
        if (pgIndexes.stream().noneMatch(i -> i.startsWith(columns + ")") || i.startsWith(columns + ","))) {
          System.out.println("[schema] on PostgreSQL no index leads with the foreign key " + columns + "): queries by it and deletes of"
              + " the row it references scan the table");
        }
      }
    }
  }

  private static List<String> appliedVersions(Connection c) throws SQLException {
    List<String> versions = new ArrayList<>();
    try (Statement s = c.createStatement();
         ResultSet rows = s.executeQuery("select version, success from " + HISTORY
             + " where version is not null order by installed_rank")) {
      while (rows.next()) {
        assertThat(rows.getBoolean("success")).as("migration " + rows.getString("version") + " succeeded").isTrue();
        versions.add(rows.getString("version"));
      }
    }
    return versions;
  }

  /** table.column → "type(length) null|not null [identity]", in the SQL standard's type names. */
  private static Map<String, String> columns(Connection c) throws SQLException {
    Map<String, String> columns = new TreeMap<>();
    try (Statement s = c.createStatement(); ResultSet rows = s.executeQuery("select table_name, column_name, data_type,"
        + " character_maximum_length, is_nullable, is_identity from information_schema.columns where table_schema = 'public'"
        + " and table_name <> '" + HISTORY + "'")) {
      while (rows.next()) {
        String type = rows.getString("data_type").toLowerCase(Locale.ROOT);
        // The same type under two names: H2 says what the standard calls them, PostgreSQL what it calls them.
        type = switch (type) {
          case "character large object" -> "text";
          case "binary varying" -> "bytea";
          default -> type;
        };
        long maxLength = rows.getLong("character_maximum_length");
        if (type.equals("character varying") && maxLength == H2_UNBOUNDED_VARCHAR) {
          type = "text"; // H2 in PostgreSQL mode stores text as the longest varchar it has
        }
        String length = type.equals("character varying") ? "(" + maxLength + ")" : "";
        String identity = "YES".equalsIgnoreCase(rows.getString("is_identity")) ? " identity" : "";
        columns.put(rows.getString("table_name").toLowerCase(Locale.ROOT) + "." + rows.getString("column_name").toLowerCase(Locale.ROOT),
            type + length + ("YES".equalsIgnoreCase(rows.getString("is_nullable")) ? " null" : " not null") + identity);
      }
    }
    return columns;
  }

  /** "table (col, col) unique|index" for every index, by what it covers rather than by its name, which each database makes up. */
  private static Set<String> indexes(Connection c) throws SQLException {
    DatabaseMetaData meta = c.getMetaData();
    Set<String> result = new TreeSet<>();
    for (String table : tables(meta)) {
      Map<String, TreeMap<Integer, String>> columnsByIndex = new TreeMap<>();
      Map<String, Boolean> unique = new TreeMap<>();
      try (ResultSet rows = meta.getIndexInfo(null, "public", table, false, false)) {
        while (rows.next()) {
          String name = rows.getString("INDEX_NAME");
          if (name == null) {
            continue; // table statistics, not an index
          }
          columnsByIndex.computeIfAbsent(name, n -> new TreeMap<>()).put((int) rows.getShort("ORDINAL_POSITION"),
              rows.getString("COLUMN_NAME").toLowerCase(Locale.ROOT));
          unique.put(name, !rows.getBoolean("NON_UNIQUE"));
        }
      }
      columnsByIndex.forEach((name, cols) -> result.add(table + " (" + String.join(", ", cols.values()) + ") "
          + (unique.get(name) ? "unique" : "index")));
    }
    return result;
  }

  private static Set<String> foreignKeys(Connection c) throws SQLException {
    DatabaseMetaData meta = c.getMetaData();
    Set<String> result = new TreeSet<>();
    for (String table : tables(meta)) {
      Map<String, TreeMap<Integer, String>> byKey = new TreeMap<>();
      try (ResultSet rows = meta.getImportedKeys(null, "public", table)) {
        while (rows.next()) {
          byKey.computeIfAbsent(rows.getString("FK_NAME"), k -> new TreeMap<>()).put((int) rows.getShort("KEY_SEQ"),
              rows.getString("FKCOLUMN_NAME").toLowerCase(Locale.ROOT));
        }
      }
      byKey.values().forEach(cols -> result.add(table + " (" + String.join(", ", cols.values()) + ") index"));
    }
    return result;
  }

  private static List<String> tables(DatabaseMetaData meta) throws SQLException {
    List<String> tables = new ArrayList<>();
    try (ResultSet rows = meta.getTables(null, "public", "%", new String[] {"TABLE"})) {
      while (rows.next()) {
        String name = rows.getString("TABLE_NAME");
        if (!name.equalsIgnoreCase(HISTORY)) {
          tables.add(name);
        }
      }
    }
    return tables;
  }
}
