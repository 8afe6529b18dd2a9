package dev.tether.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Databases that earlier versions migrated keep migrating only if their migrations never change:
 * Flyway compares each applied migration's checksum with the file's and refuses to start on a
 * difference. These are the checksums the released migrations had; a change goes into a new file.
 */
class ReleasedMigrationsTest {
  private static final Map<String, Integer> RELEASED = Map.of(
      "1", 2057393152, "2", -804122110, "3", -691540406, "4", -1675256575, "5", -1745133939, "6", 1703992018, "7", -302598429);

  @Test
  void releasedMigrationsAreUnchanged(@TempDir Path dir) {
    try (Database db = Database.openEmbedded(dir)) {
      Map<String, Integer> checksums = new TreeMap<>();
      Arrays.stream(Flyway.configure().dataSource(db.dataSource()).locations(SchemaMigration.LOCATION).load().info().all())
          .filter(m -> m.getVersion() != null && RELEASED.containsKey(m.getVersion().getVersion()))
          .forEach((MigrationInfo m) -> checksums.put(m.getVersion().getVersion(), m.getChecksum()));
      assertThat(checksums).isEqualTo(new TreeMap<>(RELEASED));
    }
  }
}
