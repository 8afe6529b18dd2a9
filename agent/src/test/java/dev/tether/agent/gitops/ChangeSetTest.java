package dev.tether.agent.gitops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.proto.v1.ObjectAction;
import dev.tether.proto.v1.ObjectHealth;
import dev.tether.proto.v1.SyncPhase;
import dev.tether.proto.v1.SyncReport;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChangeSetTest {
  private static final ChangeSet CHANGES = new ChangeSet(List.of(
      new ObjectResult(new ObjectKey("", "Namespace", "", "shop"), "v1", Action.UNCHANGED, Health.Status.CURRENT, "", "ns.yaml"),
      new ObjectResult(new ObjectKey("apps", "Deployment", "shop", "web"), "v1", Action.CONFIGURED, Health.Status.IN_PROGRESS,
          "1 of 2 replicas updated", "web.yaml"),
      ObjectResult.failure(new ObjectKey("", "ConfigMap", "shop", "bad"), "v1", "admission webhook \"x\" denied\nthe request", "cm.yaml"),
      new ObjectResult(new ObjectKey("", "Service", "shop", "old"), "v1", Action.PRUNED, Health.Status.NONE, "", "")));

  @Test
  void printsOneLinePerObject() {
    assertThat(CHANGES.toString()).isEqualTo("""
        Namespace shop unchanged Current
        apps/Deployment shop/web configured InProgress: 1 of 2 replicas updated
        ConfigMap shop/bad failed: admission webhook "x" denied the request
        Service shop/old pruned""");
  }

  @Test
  void countsByAction() {
    assertThat(CHANGES.applied()).isEqualTo(1);
    assertThat(CHANGES.failures()).isEqualTo(1);
    assertThat(CHANGES.summary()).isEqualTo("0 created, 1 configured, 1 unchanged, 1 pruned, 1 failed");
  }

  @Test
  void theReportCarriesTypedValuesAndTheStringsOlderServersRead() {
    SyncOutcome outcome = new SyncOutcome("abc", Phase.FAILED, "1 objects failed", CHANGES, Instant.ofEpochMilli(1), Instant.ofEpochMilli(5),
        "inv", Map.of());
    SyncReport report = ManifestStreamClient.report(outcome, outcome.objects(), 0, false);

    assertThat(report.getPhase()).isEqualTo("failed");
    assertThat(report.getSyncPhase()).isEqualTo(SyncPhase.SYNC_PHASE_FAILED);
    assertThat(report.getObjectsList()).extracting(o -> o.getAction() + "/" + o.getObjectAction() + "/" + o.getHealth() + "/" + o.getObjectHealth())
        .containsExactly("unchanged/OBJECT_ACTION_UNCHANGED/Current/OBJECT_HEALTH_CURRENT",
            "configured/OBJECT_ACTION_CONFIGURED/InProgress/OBJECT_HEALTH_IN_PROGRESS",
            "failed/OBJECT_ACTION_FAILED//OBJECT_HEALTH_UNSPECIFIED",
            "pruned/OBJECT_ACTION_PRUNED//OBJECT_HEALTH_UNSPECIFIED");
    assertThat(report.getApplied()).isEqualTo(1);
    assertThat(report.getPruned()).isEqualTo(1);
  }

  @Test
  void everyEnumHasItsWireValue() {
    for (Action a : Action.values()) {
      assertThat(ObjectAction.forNumber(a.ordinal() + 1).name()).isEqualTo("OBJECT_ACTION_" + a.name());
    }
    for (Phase p : Phase.values()) {
      assertThat(SyncPhase.forNumber(p.ordinal() + 1).name()).isEqualTo("SYNC_PHASE_" + p.name());
    }
    assertThat(ObjectHealth.values()).hasSize(Health.Status.values().length + 1); // NONE is unspecified; plus UNRECOGNIZED
    for (HookPhase h : HookPhase.values()) {
      assertThat(dev.tether.proto.v1.HookPhase.forNumber(h.ordinal()).name())
          .isEqualTo(h == HookPhase.NONE ? "HOOK_PHASE_UNSPECIFIED" : "HOOK_PHASE_" + h.name());
    }
  }

  @Test
  void aHookSaysItsPhaseOnItsLineAndOnTheWire() {
    ObjectResult hook = new ObjectResult(new ObjectKey("batch", "Job", "shop", "migrate"), "v1", Action.CREATED, Health.Status.CURRENT,
        "job completed", "job.yaml", HookPhase.PRE_SYNC);
    assertThat(hook).hasToString("batch/Job shop/migrate created Current (PreSync hook): job completed");
    SyncOutcome outcome = new SyncOutcome("abc", Phase.SYNCED, "", new ChangeSet(List.of(hook)), Instant.ofEpochMilli(1),
        Instant.ofEpochMilli(5), "inv", Map.of());
    assertThat(ManifestStreamClient.report(outcome, outcome.objects(), 0, false).getObjects(0).getHookPhase())
        .isEqualTo(dev.tether.proto.v1.HookPhase.HOOK_PHASE_PRE_SYNC);
    assertThat(hook.withHealth(new Health(Health.Status.FAILED, "x")).hook()).isEqualTo(HookPhase.PRE_SYNC);
  }
}
