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
}
