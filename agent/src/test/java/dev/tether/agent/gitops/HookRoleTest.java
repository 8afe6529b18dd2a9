package dev.tether.agent.gitops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.agent.gitops.HookRole.DeletePolicy;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Hook annotations read as Argo CD reads them, Helm's and its own. */
class HookRoleTest {
  private static HookRole role(Map<String, Object> annotations) {
    Map<String, Object> metadata = new LinkedHashMap<>(Map.of("name", "x"));
    metadata.put("annotations", annotations);
    return HookRole.of(new DesiredObject("batch/v1", "Job", Map.of("metadata", metadata), "f.yaml", 0, 1));
  }

  @Test
  void helmInstallAndUpgradeHooksMapToPhasesWithWeightAndPolicies() {
    assertThat(role(Map.of("helm.sh/hook", "pre-install, pre-upgrade", "helm.sh/hook-weight", "-5",
        "helm.sh/hook-delete-policy", "hook-succeeded,before-hook-creation")))
        .isEqualTo(new HookRole.Hook(List.of(HookPhase.PRE_SYNC), -5, Set.of(DeletePolicy.HOOK_SUCCEEDED, DeletePolicy.BEFORE_HOOK_CREATION)));
    assertThat(role(Map.of("helm.sh/hook", "post-upgrade,pre-install")))
        .as("both phases; no policy means before-hook-creation, as Argo CD")
        .isEqualTo(new HookRole.Hook(List.of(HookPhase.POST_SYNC, HookPhase.PRE_SYNC), 0, Set.of(DeletePolicy.BEFORE_HOOK_CREATION)));
    assertThat(role(Map.of("helm.sh/hook", "pre-install", "helm.sh/hook-weight", "heavy"))).extracting(r -> ((HookRole.Hook) r).weight())
        .isEqualTo(0);
  }

  @Test
  void testDeleteAndRollbackHooksAreNeverApplied() {
    for (String event : List.of("test", "test-success", "test-failure", "pre-delete", "post-delete", "pre-rollback", "post-rollback")) {
      assertThat(role(Map.of("helm.sh/hook", event))).as(event).isInstanceOf(HookRole.Dropped.class);
    }
  }

  @Test
  void argoAnnotationsWinOverHelmsAndSkipIsNeverApplied() {
    assertThat(role(Map.of("argocd.argoproj.io/hook", "PostSync", "helm.sh/hook", "pre-install", "argocd.argoproj.io/sync-wave", "2",
        "argocd.argoproj.io/hook-delete-policy", "HookFailed")))
        .isEqualTo(new HookRole.Hook(List.of(HookPhase.POST_SYNC), 2, Set.of(DeletePolicy.HOOK_FAILED)));
    assertThat(role(Map.of("argocd.argoproj.io/hook", "Sync"))).extracting(r -> ((HookRole.Hook) r).phases())
        .isEqualTo(List.of(HookPhase.SYNC));
    assertThat(role(Map.of("argocd.argoproj.io/hook", "Skip"))).isInstanceOf(HookRole.Dropped.class);
    assertThat(role(Map.of("argocd.argoproj.io/hook", "SyncFail"))).isInstanceOf(HookRole.Dropped.class);
    assertThat(role(Map.of("app", "web"))).isInstanceOf(HookRole.Regular.class);
  }
}
