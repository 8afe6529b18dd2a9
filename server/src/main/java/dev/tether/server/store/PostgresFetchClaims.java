package dev.tether.server.store;

import dev.tether.server.git.FetchClaims;
import java.time.Duration;
import javax.sql.DataSource;

/**
 * Fetch claims of server replicas that share one PostgreSQL database: a row per project names the
 * replica that polls it and until when. A claim is taken with one statement that inserts the row or
 * takes it over once it expired, so two replicas asking at once cannot both win; a dead replica's
 * claim simply lapses and the next replica to ask polls. Expiry is measured by the database's clock,
 * the one clock every replica shares.
 */
public final class PostgresFetchClaims implements FetchClaims {
  private static final String CLAIM = "insert into fetch_claims (project_id, replica_id, expires_at)"
      + " values (?, ?, clock_timestamp() + ? * interval '1 millisecond')"
      + " on conflict (project_id) do update set replica_id = excluded.replica_id, expires_at = excluded.expires_at"
      + " where fetch_claims.expires_at <= clock_timestamp()";

  private final Jdbc jdbc;
  private final String replica;

  public PostgresFetchClaims(DataSource dataSource, String replica) {
    this.jdbc = new Jdbc(dataSource);
    this.replica = replica;
  }

  @Override
  public boolean claim(String projectId, Duration interval) {
    // A little shorter than the interval: the replica that polled asks again after one interval by its
    // own clock and should find its claim lapsed, not miss it by a few milliseconds and skip a round.
    long millis = interval.toMillis() - Math.min(interval.toMillis() / 20, 500);
    return jdbc.update(CLAIM, projectId, replica, millis) == 1;
  }

  /** The claims this replica holds end now (it stops): another replica polls next without waiting for them to lapse. */
  public void releaseAll() {
    jdbc.update("delete from fetch_claims where replica_id = ?", replica);
  }
}
