package dev.tether.agent.gitops;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SecretRedactionTest {
  private static Map<String, Object> secret(Map<String, Object> fields) {
    Map<String, Object> secret = new java.util.LinkedHashMap<>(Map.of("apiVersion", "v1", "kind", "Secret",
        "metadata", Map.of("name", "db")));
    secret.putAll(fields);
    return secret;
  }

  @Test
  void replacesEveryValueInEveryFormAMessageCouldQuote() {
    SecretRedaction redaction = SecretRedaction.of(secret(Map.of(
        "stringData", Map.of("password", "hunter2-is-secret", "note", "say \"hi\"\nbye"),
        "data", Map.of("token", "dG9rZW4tdGV4dA=="))));

    assertThat(redaction.redact("bad value hunter2-is-secret here")).isEqualTo("bad value *** here");
    assertThat(redaction.redact("stored as aHVudGVyMi1pcy1zZWNyZXQ=")).as("base64").isEqualTo("stored as ***");
    assertThat(redaction.redact("token dG9rZW4tdGV4dA== means token-text")).as("data, as written and decoded")
        .isEqualTo("token *** means ***");
    assertThat(redaction.redact("got say \\\"hi\\\"\\nbye")).as("JSON-escaped").isEqualTo("got ***");
  }

  @Test
  void replacesWrongTypedValuesInTheApiServersError() {
    SecretRedaction redaction = SecretRedaction.of(secret(Map.of(
        "stringData", Map.of("password", List.of("in-a-list-secret"), "other", Map.of("nested", "in-a-map-secret")))));
    // Recorded from the API server (v1.37), for a server-side apply of that Secret.
    String error = """
        failed to create typed patch object (shop/wrong-type; /v1, Kind=Secret): errors:
          .stringData.other: expected string, got &value.valueUnstructured{Value:map[string]interface {}{"nested":"in-a-map-secret"}}
          .stringData.password: expected string, got &value.valueUnstructured{Value:[]interface {}{"in-a-list-secret"}}""";

    assertThat(redaction.redact(error)).isEqualTo("""
        failed to create typed patch object (shop/wrong-type; /v1, Kind=Secret): errors:
          .stringData.other: expected string, got &value.valueUnstructured{Value:***}
          .stringData.password: expected string, got &value.valueUnstructured{Value:***}""");
  }

  @Test
  void replacesNumbersAsTheyAreWritten() {
    assertThat(SecretRedaction.of(secret(Map.of("stringData", Map.of("port", 54321L)))).redact("got 54321 for a string"))
        .isEqualTo("got *** for a string");
  }

  @Test
  void aShortValueIsReplacedOnlyWhereItStandsAlone() {
    SecretRedaction redaction = SecretRedaction.of(secret(Map.of("stringData", Map.of("pin", "42"))));

    assertThat(redaction.redact("Secret \"db\" pin 42 at line 142")).isEqualTo("Secret \"db\" pin *** at line 142");
  }

  @Test
  void eachLineOfAMultiLineValue() {
    SecretRedaction redaction = SecretRedaction.of(secret(Map.of("stringData", Map.of("key",
        "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END KEY-----\n"))));

    assertThat(redaction.redact("cannot parse MIIEvQIBADANBgkqhkiG9w0BAQEFAASC")).doesNotContain("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC");
  }

  @Test
  void stripsTheFragmentsInWhichTheApiServerQuotesValues() {
    SecretRedaction redaction = SecretRedaction.of(secret(Map.of()));

    assertThat(redaction.redact("data[x]: Invalid value: \"unknown-to-us\": must be base64")).isEqualTo("data[x]: Invalid value: ***: must be base64");
    assertThat(redaction.redact(".stringData.a: expected string, got &value.valueUnstructured{Value:[]interface {}{\"unknown-to-us\"}}"))
        .isEqualTo(".stringData.a: expected string, got &value.valueUnstructured{Value:***}");
    assertThat(SecretRedaction.withoutQuotedValues("'unknown-to-us' is not a number")).isEqualTo("*** is not a number");
  }

  @Test
  void leavesKeysAndOtherObjectsAlone() {
    Map<String, Object> configMap = Map.of("apiVersion", "v1", "kind", "ConfigMap", "data", Map.of("password", "plain-value"));

    assertThat(SecretRedaction.of(configMap).redact("Invalid value: \"plain-value\"")).isEqualTo("Invalid value: \"plain-value\"");
    assertThat(SecretRedaction.of(secret(Map.of("stringData", Map.of("password", "hunter2-is-secret"))))
        .redact("conflict with \"kubectl\": .data.password")).isEqualTo("conflict with \"kubectl\": .data.password");
  }
}
