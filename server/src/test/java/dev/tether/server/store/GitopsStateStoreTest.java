package dev.tether.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.proto.v1.HookPhase;
import dev.tether.proto.v1.ObjectAction;
import dev.tether.proto.v1.ObjectHealth;
import dev.tether.proto.v1.ObjectResult;
import dev.tether.proto.v1.SyncPhase;
import dev.tether.proto.v1.SyncReport;
import dev.tether.server.secrets.SecretBox;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sync reports are stored as the server's own record; rows an older server stored as protobuf bytes still read. */
class GitopsStateStoreTest {
  private static final Instant AT = Instant.parse("2026-12-03T07:00:00Z");

  /** A report as an agent of the previous version sends it: strings only. */
  private static SyncReport olderAgentsReport() {
    return SyncReport.newBuilder().setCommit("abc123").setPhase("synced").setStartedUnixMillis(1000).setFinishedUnixMillis(1500)
        .setApplied(1).setInventory("ConfigMap apps/inventory")
        .addObjects(ObjectResult.newBuilder().setKind("ConfigMap").setVersion("v1").setNamespace("apps").setName("a")
            .setAction("created").setHealth("Current"))
        .addObjects(ObjectResult.newBuilder().setGroup("apps").setKind("Deployment").setVersion("v1").setNamespace("apps").setName("web")
            .setAction("configured").setHealth("Failed").setMessage("progress deadline exceeded"))
        .build();
  }

  private static void insertLegacyRow(Database db, byte[] report) throws SQLException {
    try (Connection c = db.dataSource().getConnection()) {
      exec(c, "insert into projects (id, url, webhook_secret, created_at) values ('team/config', 'file:///x', 's', ?)", AT);
      exec(c, "insert into agents (name, config_project_id, created_at) values ('prod', 'team/config', ?)", AT);
      try (PreparedStatement s = c.prepareStatement(
          "insert into gitops_states (agent_name, project_id, inventory_id, report, updated_at) values ('prod', 'team/app', 'inv', ?, ?)")) {
        s.setBytes(1, report);
        s.setTimestamp(2, Timestamp.from(AT));
        s.executeUpdate();
      }
    }
  }

  private static void exec(Connection c, String sql, Instant at) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(sql)) {
      s.setTimestamp(1, Timestamp.from(at));
      s.executeUpdate();
    }
  }

  @Test
  void aRowStoredAsWireBytesStillReadsAndANewReportReplacesIt(@TempDir Path dir) throws SQLException {
    try (Database db = Database.openEmbedded(dir)) {
      Store store = Store.jdbc(db.dataSource(), SecretBox.fromKeyFile(dir.resolve("key")));
      insertLegacyRow(db, olderAgentsReport().toByteArray());

      SyncRecord legacy = store.gitops().of("prod").get(0).report();
      assertThat(legacy.phase()).isEqualTo(SyncRecord.Phase.SYNCED);
      assertThat(legacy.objects()).extracting(o -> o.action() + "/" + o.health())
          .containsExactly("CREATED/CURRENT", "CONFIGURED/FAILED");
      assertThat(legacy.unhealthy()).extracting(SyncRecord.ObjectRecord::name).containsExactly("web");
      assertThat(legacy.objects()).extracting(SyncRecord.ObjectRecord::hook).as("older agents apply no hooks")
          .containsOnly(SyncRecord.Hook.NONE);

      SyncReport typed = SyncReport.newBuilder(olderAgentsReport()).setCommit("def456").setSyncPhase(SyncPhase.SYNC_PHASE_FAILED)
          .setPhase("failed").setObjects(0, ObjectResult.newBuilder(olderAgentsReport().getObjects(0))
              .setObjectAction(ObjectAction.OBJECT_ACTION_UNCHANGED).setObjectHealth(ObjectHealth.OBJECT_HEALTH_IN_PROGRESS)
              .setHookPhase(HookPhase.HOOK_PHASE_POST_SYNC))
          .build();
      store.gitops().record("prod", "team/app", "inv", SyncRecord.fromWire(typed), AT.plusSeconds(1));

      List<GitopsStateStore.GitopsState> states = store.gitops().of("prod");
      assertThat(states).hasSize(1);
      SyncRecord stored = states.get(0).report();
      assertThat(stored.commit()).isEqualTo("def456");
      assertThat(stored.phase()).isEqualTo(SyncRecord.Phase.FAILED);
      assertThat(stored.objects()).extracting(o -> o.action().apiName() + "/" + o.health().apiName())
          .as("the typed values win over the strings").containsExactly("unchanged/InProgress", "configured/Failed");
      assertThat(stored.objects()).extracting(SyncRecord.ObjectRecord::hook).containsExactly(SyncRecord.Hook.POST_SYNC, SyncRecord.Hook.NONE);
      assertThat(states.get(0).updatedAt()).isEqualTo(AT.plusSeconds(1));

      store.gitops().retainOnly("prod", Set.of());
      assertThat(store.gitops().of("prod")).isEmpty();
    }
  }

  @Test
  void aPhaseOfANewerAgentStaysAHook() throws Exception {
    SyncReport report = SyncReport.newBuilder(olderAgentsReport())
        .setObjects(0, ObjectResult.newBuilder(olderAgentsReport().getObjects(0)).setHookPhase(HookPhase.HOOK_PHASE_PRE_SYNC))
        .setObjects(1, ObjectResult.newBuilder(olderAgentsReport().getObjects(1)).setHookPhaseValue(9))
        .build();
    SyncRecord record = SyncRecord.fromWire(SyncReport.parseFrom(report.toByteArray()));
    assertThat(record.objects()).extracting(o -> o.hook().apiName()).containsExactly("PreSync", "hook");
  }
}
