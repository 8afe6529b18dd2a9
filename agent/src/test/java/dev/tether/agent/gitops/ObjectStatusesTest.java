package dev.tether.agent.gitops;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ObjectStatusesTest {
  private static final ObjectKey WEB = new ObjectKey("apps", "Deployment", "shop", "web");
  private static final ObjectKey SETTINGS = new ObjectKey("", "ConfigMap", "shop", "settings");

  private static ObjectStatuses afterSync() {
    ObjectStatuses statuses = new ObjectStatuses();
    statuses.reset(new ChangeSet(List.of(
        new ObjectResult(WEB, "v1", Action.CREATED, Health.Status.IN_PROGRESS, "0 of 2 replicas available", "web.yaml"),
        new ObjectResult(SETTINGS, "v1", Action.UNCHANGED, Health.Status.CURRENT, "", "settings.yaml"))));
    return statuses;
  }

  @Test
  void aNewerHealthReplacesTheMessageUnlessDriftSaidMore() {
    ObjectStatuses statuses = afterSync();

    assertThat(statuses.healthChanged(WEB, new Health(Health.Status.CURRENT, "2 of 2 replicas available"))).isTrue();
    assertThat(statuses.healthChanged(WEB, new Health(Health.Status.CURRENT, "again"))).as("same status: no news").isFalse();
    statuses.put(new ObjectResult(SETTINGS, "v1", Action.DRIFTED, Health.Status.CURRENT, "drift (not corrected, drift: report): x", ""));
    statuses.healthChanged(SETTINGS, Health.notFound());

    assertThat(statuses.snapshot().toString()).isEqualTo("""
        apps/Deployment shop/web created Current: 2 of 2 replicas available
        ConfigMap shop/settings drifted NotFound: drift (not corrected, drift: report): x""");
  }

  @Test
  void reconcileTimeoutFailsWhatIsStillInProgress() {
    ObjectStatuses statuses = afterSync();

    assertThat(statuses.timedOut("3s")).isTrue();
    assertThat(statuses.timedOut("3s")).as("nothing left in progress").isFalse();
    assertThat(statuses.snapshot().entries()).extracting(ObjectResult::health).containsExactly(Health.Status.FAILED, Health.Status.CURRENT);
    assertThat(statuses.get(WEB).orElseThrow().message()).isEqualTo("not Current within reconcile_timeout (3s): 0 of 2 replicas available");
  }
}
