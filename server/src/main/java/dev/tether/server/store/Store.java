package dev.tether.server.store;

import dev.tether.server.secrets.SecretBox;
import javax.sql.DataSource;

/** Everything the server persists. The JDBC implementation serves H2 and PostgreSQL. */
public record Store(ProjectStore projects, AgentStore agents, TokenStore tokens, ConfigStateStore configStates,
    GitopsStateStore gitops, AccessTokenStore accessTokens, EventStore events, ChartRepositoryStore chartRepositories,
    ConnectionActivityTable connectionActivity) {

  public static Store jdbc(DataSource dataSource, SecretBox secrets) {
    Jdbc jdbc = new Jdbc(dataSource);
    return new Store(new JdbcProjectStore(jdbc, secrets), new JdbcAgentStore(jdbc), new JdbcTokenStore(jdbc),
        new JdbcConfigStateStore(jdbc), new JdbcGitopsStateStore(jdbc), new JdbcAccessTokenStore(jdbc),
        new JdbcEventStore(jdbc), new JdbcChartRepositoryStore(jdbc, secrets), new ConnectionActivityTable(jdbc));
  }
}
