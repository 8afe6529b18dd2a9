package dev.tether.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.proto.v1.HookPhase;
import dev.tether.proto.v1.ObjectResult;
import dev.tether.proto.v1.SyncReport;
import org.junit.jupiter.api.Test;

/** How a report from the wire becomes the server's record, whatever version the agent is (the stores are in StoreContract). */
class SyncRecordWireTest {
  @Test
  void aPhaseOfANewerAgentStaysAHook() throws Exception {
    SyncReport report = SyncReport.newBuilder().setCommit("abc123").setPhase("synced")
        .addObjects(ObjectResult.newBuilder().setKind("Job").setVersion("batch/v1").setNamespace("apps").setName("migrate")
            .setAction("created").setHealth("Current").setHookPhase(HookPhase.HOOK_PHASE_PRE_SYNC))
        .addObjects(ObjectResult.newBuilder().setKind("ConfigMap").setVersion("v1").setNamespace("apps").setName("a")
            .setAction("created").setHealth("Current").setHookPhaseValue(9))
        .build();
    SyncRecord record = SyncRecord.fromWire(SyncReport.parseFrom(report.toByteArray()));
    assertThat(record.objects()).extracting(o -> o.hook().apiName()).containsExactly("PreSync", "hook");
  }

  @Test
  void theWaveAndTheSourcesWaitedForTravelAndAnOlderAgentHasNeither() throws Exception {
    SyncReport newer = SyncReport.newBuilder().setCommit("abc123").setPhase("syncing").setWave(-1).setWaves(3)
        .addWaitingFor("infra").build();
    SyncRecord record = SyncRecord.fromWire(SyncReport.parseFrom(newer.toByteArray()));
    assertThat(record.wave()).isEqualTo(-1);
    assertThat(record.waves()).isEqualTo(3);
    assertThat(record.waitingFor()).containsExactly("infra");

    SyncRecord older = SyncRecord.fromWire(SyncReport.newBuilder().setCommit("abc123").setPhase("syncing").build());
    assertThat(older.wave()).as("wave 0 is a wave; no wave is null").isNull();
    assertThat(older.waitingFor()).isEmpty();
  }

  @Test
  void aRecordStoredBeforeWavesReadsWithoutThem() throws Exception {
    // As JdbcGitopsStateStore stores records: JSON of the record, read back with a plain ObjectMapper.
    String stored = "{\"commit\":\"abc\",\"phase\":\"SYNCED\",\"message\":\"\",\"startedUnixMillis\":1,\"finishedUnixMillis\":2,"
        + "\"applied\":1,\"unchanged\":0,\"pruned\":0,\"failed\":0,\"driftCorrected\":0,\"inventory\":\"i\",\"resent\":false,"
        + "\"objects\":[],\"driftPaused\":false}";
    SyncRecord record = new com.fasterxml.jackson.databind.ObjectMapper().readValue(stored, SyncRecord.class);
    assertThat(record.wave()).isNull();
    assertThat(record.waves()).isZero();
    assertThat(record.waitingFor()).isEmpty();
  }
}
