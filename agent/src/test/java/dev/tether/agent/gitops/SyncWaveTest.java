package dev.tether.agent.gitops;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The wave of an object, read as Argo CD reads it, and Tether's annotation over it. */
class SyncWaveTest {
  private static Map<String, Object> annotated(Map<String, Object> annotations) {
    return Map.of("metadata", Map.of("name", "x", "annotations", annotations));
  }

  @Test
  void argoCdsAnnotationOrdersAndNegativeWavesComeFirst() {
    assertThat(SyncWave.of(annotated(Map.of("argocd.argoproj.io/sync-wave", "-2")))).isEqualTo(-2);
    assertThat(SyncWave.of(annotated(Map.of("argocd.argoproj.io/sync-wave", " 5 ")))).isEqualTo(5);
    assertThat(SyncWave.of(Map.of("metadata", Map.of("name", "x")))).isZero();
  }

  @Test
  void tethersAnnotationWinsAndHelmsHookWeightIsTheLastResortAsInArgoCd() {
    assertThat(SyncWave.of(annotated(Map.of("tether.dev/sync-wave", "3", "argocd.argoproj.io/sync-wave", "1")))).isEqualTo(3);
    assertThat(SyncWave.of(annotated(Map.of("helm.sh/hook-weight", "7")))).isEqualTo(7);
    assertThat(SyncWave.of(annotated(Map.of("argocd.argoproj.io/sync-wave", "1", "helm.sh/hook-weight", "7")))).isEqualTo(1);
  }

  @Test
  void aValueThatIsNotAWholeNumberIsPassedOver() {
    assertThat(SyncWave.of(annotated(Map.of("tether.dev/sync-wave", "first", "argocd.argoproj.io/sync-wave", "2")))).isEqualTo(2);
    assertThat(SyncWave.of(annotated(Map.of("argocd.argoproj.io/sync-wave", "1.5")))).isZero();
  }

  @Test
  void itemsAreGroupedByWaveLowestFirstKeepingTheirOrder() {
    Map<String, Object> a = annotated(Map.of("argocd.argoproj.io/sync-wave", "1"));
    Map<String, Object> b = annotated(Map.of());
    Map<String, Object> c = annotated(Map.of("argocd.argoproj.io/sync-wave", "-1"));
    Map<String, Object> d = annotated(Map.of("tether.dev/sync-wave", "1"));
    assertThat(SyncWave.byWave(List.of(a, b, c, d), o -> o)).containsExactly(
        Map.entry(-1, List.of(c)), Map.entry(0, List.of(b)), Map.entry(1, List.of(a, d)));
  }
}
