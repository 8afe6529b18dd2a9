package dev.tether.agent.gitops;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FieldComparisonTest {
  @Test
  void liveObjectsMayHaveMoreFieldsThanGit() {
    Map<String, Object> desired = Map.of("metadata", Map.of("name", "web", "labels", Map.of("app", "web")),
        "spec", Map.of("replicas", 2L));
    Map<String, Object> live = Map.of("metadata", Map.of("name", "web", "uid", "123", "resourceVersion", "7",
        "labels", Map.of("app", "web", "extra", "x")), "spec", Map.of("replicas", 2, "revisionHistoryLimit", 10),
        "status", Map.of("replicas", 0));

    assertThat(FieldComparison.firstDifference(desired, live)).isEmpty();
  }

  @Test
  void namesTheFirstFieldThatDiffers() {
    Map<String, Object> desired = Map.of("data", Map.of("color", "blue"));

    assertThat(FieldComparison.firstDifference(desired, Map.of("data", Map.of("color", "red")))).contains(".data.color");
    assertThat(FieldComparison.firstDifference(desired, Map.of())).contains(".data");
    assertThat(FieldComparison.firstDifference(Map.of("args", List.of("a", "b")), Map.of("args", List.of("a")))).contains(".args");
  }

  @Test
  void quantitiesAndNumbersCompareByMeaning() {
    assertThat(FieldComparison.firstDifference(Map.of("cpu", "1000m"), Map.of("cpu", "1"))).isEmpty();
    assertThat(FieldComparison.firstDifference(Map.of("mem", "1Gi"), Map.of("mem", "1024Mi"))).isEmpty();
    assertThat(FieldComparison.firstDifference(Map.of("n", 3L), Map.of("n", 3))).isEmpty();
    assertThat(FieldComparison.firstDifference(Map.of("cpu", "500m"), Map.of("cpu", "1"))).contains(".cpu");
    assertThat(FieldComparison.quantity("1.5k")).hasValueSatisfying(v -> assertThat(v).isEqualByComparingTo(new BigDecimal("1500")));
    assertThat(FieldComparison.firstDifference(Map.of("v", "blue"), Map.of("v", "1"))).contains(".v");
  }
}
