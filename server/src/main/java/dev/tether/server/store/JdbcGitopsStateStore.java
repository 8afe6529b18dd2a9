package dev.tether.server.store;

import java.time.Instant;
import java.util.List;

final class JdbcGitopsStateStore implements GitopsStateStore {
  private final Jdbc jdbc;

  JdbcGitopsStateStore(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public void record(String agentName, String projectId, String inventoryId, byte[] report, Instant at) {
    int updated = jdbc.update("update gitops_states set report = ?, updated_at = ? where agent_name = ? and project_id = ?"
        + " and inventory_id = ?", report, at, agentName, projectId, inventoryId);
    if (updated == 0) {
      try {
        jdbc.update("insert into gitops_states (agent_name, project_id, inventory_id, report, updated_at) values (?, ?, ?, ?, ?)",
            agentName, projectId, inventoryId, report, at);
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
  }

  @Override
  public List<GitopsState> of(String agentName) {
    return jdbc.query("select * from gitops_states where agent_name = ? order by project_id, inventory_id", row -> new GitopsState(
        row.getString("agent_name"), row.getString("project_id"), row.getString("inventory_id"), row.getBytes("report"),
        Jdbc.instant(row, "updated_at")), agentName);
  }
}
