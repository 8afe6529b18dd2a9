package dev.tether.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.charts.ChartCredentials;
import dev.tether.server.secrets.SecretBox;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Chart repository credentials: stored sealed, replaced in place, removed. */
class ChartRepositoryStoreTest {
  private static final Instant AT = Instant.parse("2026-12-01T10:00:00Z");

  @Test
  void credentialsAreSealedAtRestAndReplacedInPlace(@TempDir Path dir) throws SQLException {
    try (Database db = Database.openEmbedded(dir)) {
      Store store = Store.jdbc(db.dataSource(), SecretBox.fromKeyFile(dir.resolve("key")));
      store.chartRepositories().put(new ChartRepository("https://charts.example.com/stable",
          new ChartCredentials.Basic("deploy", "pa55-in-the-db"), AT));
      store.chartRepositories().put(new ChartRepository("oci://registry.example.com", new ChartCredentials.Token("tok-3141"), AT));

      try (Connection c = db.dataSource().getConnection();
          ResultSet rows = c.createStatement().executeQuery("select credentials from chart_repositories")) {
        while (rows.next()) {
          assertThat(rows.getString(1)).as("sealed").doesNotContain("pa55-in-the-db").doesNotContain("tok-3141").doesNotContain("deploy");
        }
      }
      assertThat(store.chartRepositories().find("https://charts.example.com/stable")).get()
          .extracting(ChartRepository::credentials).isEqualTo(new ChartCredentials.Basic("deploy", "pa55-in-the-db"));

      store.chartRepositories().put(new ChartRepository("https://charts.example.com/stable",
          new ChartCredentials.Basic("deploy", "rotated"), AT.plusSeconds(60)));
      assertThat(store.chartRepositories().list()).extracting(ChartRepository::url)
          .containsExactly("https://charts.example.com/stable", "oci://registry.example.com");
      ChartRepository rotated = store.chartRepositories().find("https://charts.example.com/stable").orElseThrow();
      assertThat(rotated.credentials()).isEqualTo(new ChartCredentials.Basic("deploy", "rotated"));
      assertThat(rotated.createdAt()).as("added when first added").isEqualTo(AT);
      assertThat(rotated.toString()).doesNotContain("rotated");

      assertThat(store.chartRepositories().remove("oci://registry.example.com")).isTrue();
      assertThat(store.chartRepositories().remove("oci://registry.example.com")).isFalse();
      assertThat(store.chartRepositories().find("oci://registry.example.com")).isEmpty();
    }
  }
}
