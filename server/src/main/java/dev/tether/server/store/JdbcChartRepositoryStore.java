package dev.tether.server.store;

import dev.tether.server.charts.ChartCredentials;
import dev.tether.server.secrets.SecretBox;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

final class JdbcChartRepositoryStore implements ChartRepositoryStore {
  private final Jdbc jdbc;
  private final SealedCredentials credentials;

  JdbcChartRepositoryStore(Jdbc jdbc, SecretBox secrets) {
    this.jdbc = jdbc;
    this.credentials = new SealedCredentials(secrets, "chart repository");
  }

  @Override
  public void put(ChartRepository r) {
    String sealed = credentials.seal(r.credentials().toMap());
    if (jdbc.update("update chart_repositories set credentials = ? where url = ?", sealed, r.url()) == 0) {
      try {
        jdbc.update("insert into chart_repositories (url, credentials, created_at) values (?, ?, ?)", r.url(), sealed, r.createdAt());
      } catch (Jdbc.DuplicateKeyException raced) {
        put(r);
      }
    }
  }

  @Override
  public Optional<ChartRepository> find(String url) {
    return jdbc.queryOne("select * from chart_repositories where url = ?", this::repository, url);
  }

  @Override
  public List<ChartRepository> list() {
    return jdbc.query("select * from chart_repositories order by url", this::repository);
  }

  @Override
  public boolean remove(String url) {
    return jdbc.update("delete from chart_repositories where url = ?", url) > 0;
  }

  private ChartRepository repository(ResultSet row) throws SQLException {
    return new ChartRepository(row.getString("url"), ChartCredentials.fromMap(credentials.open(row.getString("credentials"))),
        Jdbc.instant(row, "created_at"));
  }
}
