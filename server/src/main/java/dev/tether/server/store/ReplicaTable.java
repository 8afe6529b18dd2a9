package dev.tether.server.store;

import java.time.Instant;
import java.util.List;
import javax.sql.DataSource;

/** The {@code server_replicas} table: every running replica under a lease (see the V9 migration). */
public final class ReplicaTable {
  /** One replica's row. */
  public record Row(String id, String address, String certificatePem, String secretHash, Instant startedAt, Instant leaseUntil) {}

  private final Jdbc jdbc;

  public ReplicaTable(DataSource dataSource) {
    this.jdbc = new Jdbc(dataSource);
  }

  public void insert(Row row) {
    jdbc.update("insert into server_replicas (id, address, certificate, secret_hash, started_at, lease_until) values (?, ?, ?, ?, ?, ?)",
        row.id(), row.address(), row.certificatePem(), row.secretHash(), row.startedAt(), row.leaseUntil());
  }

  /** Extends the replica's lease; false when its row is gone (another replica took it for dead and removed it). */
  public boolean renew(String id, Instant leaseUntil) {
    return jdbc.update("update server_replicas set lease_until = ? where id = ?", leaseUntil, id) == 1;
  }

  /** The replicas whose lease has not lapsed at {@code now}. */
  public List<Row> live(Instant now) {
    return jdbc.query("select id, address, certificate, secret_hash, started_at, lease_until from server_replicas"
        + " where lease_until > ? order by started_at, id", r -> new Row(r.getString("id"), r.getString("address"),
        r.getString("certificate"), r.getString("secret_hash"), Jdbc.instant(r, "started_at"), Jdbc.instant(r, "lease_until")), now);
  }

  /** Removes a replica and the agent connections it held. */
  public void remove(String id) {
    jdbc.update("delete from agent_connections where replica_id = ?", id);
    jdbc.update("delete from server_replicas where id = ?", id);
  }

  /**
   * Removes replicas whose lease lapsed before {@code before}, and the connections they held (and any
   * connection older than {@code before} of a replica that has no row: a replica starting up may write
   * its first connections a moment before its own row). Readers already skip them; this keeps the tables small.
   *
   * @return how many replicas were removed
   */
  public int removeLapsed(Instant before) {
    int removed = jdbc.update("delete from server_replicas where lease_until < ?", before);
    jdbc.update("delete from agent_connections where replica_id not in (select id from server_replicas) and connected_at < ?", before);
    return removed;
  }
}
