package dev.tether.agent.gitops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FieldComparisonTest {
  /** An object as the API server returned it (recorded; the Secret was applied with stringData username and password, data extra). */
  private static Map<String, Object> recorded(String file) {
    try (InputStream in = FieldComparisonTest.class.getResourceAsStream("/secrets/" + file)) {
      return KubeApi.JSON.readValue(in, new TypeReference<Map<String, Object>>() {});
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Map<String, Object> secret(Map<String, Object> fields) {
    Map<String, Object> secret = new LinkedHashMap<>(Map.of("apiVersion", "v1", "kind", "Secret",
        "metadata", Map.of("name", "db", "namespace", "shop", "annotations", Map.of("config.k8s.io/owning-inventory", "prod-team.app"))));
    secret.putAll(fields);
    return secret;
  }
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

  @Test
  void aSecretWithStringDataComparesAsTheApiServerStoresIt() {
    Map<String, Object> live = recorded("stringdata.live.json");

    assertThat(FieldComparison.firstDifference(secret(Map.of("stringData", Map.of("username", "app", "password", "correct-horse"))),
        live)).as("stringData folded into data").isEmpty();
    assertThat(FieldComparison.firstDifference(secret(Map.of("data", Map.of("username", "YXBw"),
        "stringData", Map.of("password", "correct-horse"))), live)).as("both").isEmpty();
    assertThat(FieldComparison.firstDifference(secret(Map.of("stringData", Map.of("password", "changed"))), live))
        .contains(".data.password");
    assertThat(FieldComparison.firstDifference(secret(Map.of("stringData", Map.of("token", "new"))), live))
        .contains(".data.token");
  }

  @Test
  void stringDataWinsOverDataOfTheSameKeyAsOnTheApiServer() {
    Map<String, Object> live = recorded("stringdata.live.json");

    assertThat(FieldComparison.firstDifference(secret(Map.of("data", Map.of("password", "b2xk", "username", "YXBw"),
        "stringData", Map.of("password", "correct-horse"))), live)).isEmpty();
  }

  @Test
  void secretDataComparesAsCanonicalBase64() {
    Map<String, Object> live = recorded("stringdata.live.json");

    assertThat(FieldComparison.firstDifference(secret(Map.of("data", Map.of("password", "Y29ycmVj\ndC1ob3JzZQ=="))), live))
        .as("line breaks are ignored, as the API server does").isEmpty();
    assertThat(FieldComparison.firstDifference(secret(Map.of("data", Map.of("password", "not-base64!!"))), live))
        .as("not base64: compared as written (the apply says why it fails)").contains(".data.password");
  }

  @Test
  void aSecretWithoutTypeMatchesTheDefaultedOpaque() {
    assertThat(FieldComparison.firstDifference(secret(Map.of("stringData", Map.of("username", "app"))),
        recorded("stringdata.live.json"))).isEmpty();
  }

  @Test
  void emptyMapsAndListsMatchWhatTheApiServerLeavesOut() {
    Map<String, Object> live = recorded("stringdata.live.json");

    assertThat(FieldComparison.firstDifference(Map.of("spec", Map.of("args", List.of())), Map.of("spec", Map.of()))).isEmpty();
    assertThat(FieldComparison.firstDifference(Map.of("data", Map.of()), Map.of())).isEmpty();
    assertThat(FieldComparison.firstDifference(secret(Map.of("data", Map.of(), "stringData", Map.of())),
        new LinkedHashMap<>(Map.of("apiVersion", "v1", "kind", "Secret", "metadata", live.get("metadata"))))).isEmpty();
    assertThat(FieldComparison.firstDifference(Map.of("spec", Map.of("args", List.of("a"))), Map.of("spec", Map.of())))
        .contains(".spec.args");
  }

  @Test
  void otherKindsWithStringDataAreComparedAsWritten() {
    Map<String, Object> notASecret = Map.of("apiVersion", "example.com/v1", "kind", "Secret", "stringData", Map.of("a", "b"));

    assertThat(FieldComparison.asStored(notASecret)).isSameAs(notASecret);
    assertThat(FieldComparison.firstDifference(notASecret, Map.of("apiVersion", "example.com/v1", "kind", "Secret",
        "data", Map.of("a", "Yg==")))).contains(".stringData");
  }

  @Test
  void aDifferenceNamesTheFieldNeverItsValue() {
    Map<String, Object> live = recorded("stringdata.live.json");

    assertThat(FieldComparison.firstDifference(secret(Map.of("stringData", Map.of("password", "other-secret"))), live))
        .hasValueSatisfying(path -> assertThat(path).isEqualTo(".data.password").doesNotContain("horse").doesNotContain("other"));
  }
}
