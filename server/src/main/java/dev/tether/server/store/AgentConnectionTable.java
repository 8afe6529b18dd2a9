package dev.tether.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import javax.sql.DataSource;

/** The {@code agent_connections} table: each replica's live agent connections (see the V9 migration). */
public final class AgentConnectionTable {
  /** One connection's row. */
  public record Row(String id, String agentName, String replicaId, String tokenId, Instant connectedAt, String version,
      String podName, String podNamespace, String clusterVersion, String remoteAddress, boolean usesLease, boolean holdsLease,
      boolean appliesGitops) {}

  private static final String COLUMNS = "id, agent_name, replica_id, token_id, connected_at, version, pod_name, pod_namespace,"
      + " cluster_version, remote_address, uses_lease, holds_lease, applies_gitops";

  private final DataSource dataSource;
  private final Jdbc jdbc;

  public AgentConnectionTable(DataSource dataSource) {
    this.dataSource = dataSource;
    this.jdbc = new Jdbc(dataSource);
  }

  /**
   * Writes many changes in one transaction and two batched statements: every id in {@code removed} and
   * every row in {@code written} is deleted, then {@code written} inserted (so a changed row is replaced).
   */
  public void write(Collection<Row> written, Collection<String> removed) {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement delete = c.prepareStatement("delete from agent_connections where id = ?");
           PreparedStatement insert = c.prepareStatement("insert into agent_connections (" + COLUMNS
               + ") values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        for (String id : removed) {
          delete.setString(1, id);
          delete.addBatch();
        }
        for (Row row : written) {
          delete.setString(1, row.id());
          delete.addBatch();
          insert.setString(1, row.id());
          insert.setString(2, row.agentName());
          insert.setString(3, row.replicaId());
          insert.setString(4, row.tokenId());
          insert.setTimestamp(5, Timestamp.from(row.connectedAt()));
          insert.setString(6, row.version());
          insert.setString(7, row.podName());
          insert.setString(8, row.podNamespace());
          insert.setString(9, row.clusterVersion());
          insert.setString(10, row.remoteAddress());
          insert.setBoolean(11, row.usesLease());
          insert.setBoolean(12, row.holdsLease());
          insert.setBoolean(13, row.appliesGitops());
          insert.addBatch();
        }
        delete.executeBatch();
        insert.executeBatch();
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new StoreException("cannot write " + (written.size() + removed.size()) + " agent connection change(s): "
          + e.getMessage(), e);
    }
  }

  /** The connections held by live replicas (lease after {@code now}) other than {@code exceptReplica}. */
  public List<Row> ofOtherLiveReplicas(String exceptReplica, Instant now) {
    return jdbc.query("select " + COLUMNS.replaceFirst("^id,", "c.id,") + " from agent_connections c join server_replicas r"
        + " on r.id = c.replica_id where r.lease_until > ? and r.id <> ?", r -> new Row(r.getString("id"), r.getString("agent_name"),
        r.getString("replica_id"), r.getString("token_id"), Jdbc.instant(r, "connected_at"), r.getString("version"),
        r.getString("pod_name"), r.getString("pod_namespace"), r.getString("cluster_version"), r.getString("remote_address"),
        r.getBoolean("uses_lease"), r.getBoolean("holds_lease"), r.getBoolean("applies_gitops")), now, exceptReplica);
  }

  /** Removes every row of one replica, e.g. its own rows from an earlier write before it writes them all again. */
  public void removeOfReplica(String replicaId) {
    jdbc.update("delete from agent_connections where replica_id = ?", replicaId);
  }
}
