package dev.tether.server.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.tether.common.json.JsonMappers;
import dev.tether.proto.v1.SyncReport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;

/** Sync records as JSON in sync_record; rows of older servers hold the agent's protobuf bytes in report instead. */
final class JdbcGitopsStateStore implements GitopsStateStore {
  private static final ObjectMapper JSON = JsonMappers.newMapper();
  private static final byte[] NO_WIRE_BYTES = new byte[0];
  private final Jdbc jdbc;

  JdbcGitopsStateStore(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public void record(String agentName, String projectId, String inventoryId, SyncRecord report, Instant at) {
    String json = toJson(report);
    int updated = jdbc.update("update gitops_states set sync_record = ?, report = ?, updated_at = ? where agent_name = ?"
        + " and project_id = ? and inventory_id = ?", json, NO_WIRE_BYTES, at, agentName, projectId, inventoryId);
    if (updated == 0) {
      try {
        jdbc.update("insert into gitops_states (agent_name, project_id, inventory_id, sync_record, report, updated_at)"
            + " values (?, ?, ?, ?, ?, ?)", agentName, projectId, inventoryId, json, NO_WIRE_BYTES, at);
      } catch (Jdbc.DuplicateKeyException raced) {
        record(agentName, projectId, inventoryId, report, at);
      }
    }
  }

  @Override
  public void retainOnly(String agentName, java.util.Set<Entry> entries) {
    // Keys only: the reports themselves can be large.
    List<Entry> stored = jdbc.query("select project_id, inventory_id from gitops_states where agent_name = ?",
        row -> new Entry(row.getString("project_id"), row.getString("inventory_id")), agentName);
    for (Entry entry : stored) {
      if (!entries.contains(entry)) {
        jdbc.update("delete from gitops_states where agent_name = ? and project_id = ? and inventory_id = ?", agentName,
            entry.projectId(), entry.inventoryId());
      }
    }
    java.util.Set<String> inventories = entries.stream().map(Entry::inventoryId).collect(java.util.stream.Collectors.toSet());
    for (String inventory : jdbc.query("select inventory_id from drift_pauses where agent_name = ?", row -> row.getString(1),
        agentName)) {
      if (!inventories.contains(inventory)) {
        jdbc.update("delete from drift_pauses where agent_name = ? and inventory_id = ?", agentName, inventory);
      }
    }
  }

  @Override
  public void pauseDriftCorrection(String agentName, String inventoryId, boolean paused, Instant at) {
    if (!paused) {
      jdbc.update("delete from drift_pauses where agent_name = ? and inventory_id = ?", agentName, inventoryId);
      return;
    }
    if (driftCorrectionPaused(agentName, inventoryId)) {
      return; // paused already: keep when it was first paused
    }
    try {
      jdbc.update("insert into drift_pauses (agent_name, inventory_id, paused_at) values (?, ?, ?)", agentName, inventoryId, at);
    } catch (Jdbc.DuplicateKeyException raced) {
      // another replica paused it at the same moment: paused either way
    }
  }

  @Override
  public boolean driftCorrectionPaused(String agentName, String inventoryId) {
    return !jdbc.query("select 1 from drift_pauses where agent_name = ? and inventory_id = ?", row -> row.getInt(1), agentName,
        inventoryId).isEmpty();
  }

  @Override
  public List<GitopsState> of(String agentName) {
    return jdbc.query("select * from gitops_states where agent_name = ? order by project_id, inventory_id", row -> new GitopsState(
        row.getString("agent_name"), row.getString("project_id"), row.getString("inventory_id"),
        read(row.getString("agent_name"), row.getString("sync_record"), row.getBytes("report")), Jdbc.instant(row, "updated_at")),
        agentName);
  }

  private static SyncRecord read(String agentName, String json, byte[] wireBytes) {
    try {
      return json != null ? JSON.readValue(json, SyncRecord.class) : SyncRecord.fromWire(SyncReport.parseFrom(wireBytes));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("stored sync report of agent '" + agentName + "' is unreadable", e);
    } catch (IOException e) {
      throw new UncheckedIOException("stored sync record of agent '" + agentName + "' is unreadable", e);
    }
  }

  private static String toJson(SyncRecord report) {
    try {
      return JSON.writeValueAsString(report);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
