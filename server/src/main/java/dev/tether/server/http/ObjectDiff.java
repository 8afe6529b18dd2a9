package dev.tether.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The fields Git sets on an object, compared with the live object: what drift correction would put
 * back. Only the desired object's fields are walked (the cluster adds status, defaults and metadata
 * that Git does not own); a list is compared item by item when both sides have as many items, and
 * whole otherwise. Secret values are never compared as text here: a Secret's data and stringData
 * lines only say that a value differs.
 */
final class ObjectDiff {
  /** One field that differs: its path (spec.replicas, spec.ports[0].port) and both values as YAML-ish text; live null when absent. */
  record Change(String path, String desired, String live) {}

  private static final String REDACTED = "(redacted)";
  private static final int MAX_CHANGES = 500;

  private ObjectDiff() {}

  static List<Change> of(JsonNode desired, JsonNode live) {
    List<Change> changes = new ArrayList<>();
    boolean secret = "Secret".equals(desired.path("kind").asText());
    walk("", secret ? asStored(desired) : desired, live, secret, changes);
    return changes;
  }

  /** A Secret as the API server stores it: stringData's values are base64-encoded into data (stringData wins). */
  private static JsonNode asStored(JsonNode secret) {
    if (!secret.path("stringData").isObject()) {
      return secret;
    }
    ObjectNode copy = secret.deepCopy();
    ObjectNode data = copy.path("data").isObject() ? (ObjectNode) copy.get("data") : copy.putObject("data");
    copy.get("stringData").fields().forEachRemaining(e -> data.put(e.getKey(),
        java.util.Base64.getEncoder().encodeToString(e.getValue().asText().getBytes(java.nio.charset.StandardCharsets.UTF_8))));
    copy.remove("stringData");
    return copy;
  }

  private static void walk(String path, JsonNode desired, JsonNode live, boolean secret, List<Change> changes) {
    if (changes.size() >= MAX_CHANGES) {
      return;
    }
    if (path.equals("metadata.namespace") || path.equals("apiVersion")) {
      return; // the agent's default namespace fills an absent one; the API server answers in the version asked for
    }
    boolean secretValue = secret && (path.equals("data") || path.startsWith("data.") || path.equals("stringData")
        || path.startsWith("stringData."));
    if (desired.isObject()) {
      if (live == null || !live.isObject()) {
        changes.add(new Change(path, secretValue ? REDACTED : text(desired), live == null || live.isMissingNode() ? null : text(live)));
        return;
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = desired.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        walk(path.isEmpty() ? field.getKey() : path + "." + field.getKey(), field.getValue(), live.get(field.getKey()), secret, changes);
      }
    } else if (desired.isArray() && live != null && live.isArray() && live.size() == desired.size()) {
      for (int i = 0; i < desired.size(); i++) {
        walk(path + "[" + i + "]", desired.get(i), live.get(i), secret, changes);
      }
    } else if (!same(desired, live)) {
      if (secretValue) {
        changes.add(new Change(path, REDACTED, live == null ? null : REDACTED));
      } else {
        changes.add(new Change(path, text(desired), live == null || live.isMissingNode() ? null : text(live)));
      }
    }
  }

  /** Equal as Kubernetes reads them: numbers by value (80 and 80.0), everything else exactly. */
  private static boolean same(JsonNode desired, JsonNode live) {
    if (live == null) {
      return desired.isNull();
    }
    if (desired.isNumber() && live.isNumber()) {
      return desired.decimalValue().compareTo(live.decimalValue()) == 0;
    }
    if (desired.isValueNode() && live.isValueNode()) {
      return desired.asText().equals(live.asText()) && desired.isTextual() == live.isTextual();
    }
    return desired.equals(live);
  }

  private static String text(JsonNode node) {
    return node.isValueNode() ? node.asText() : node.toString();
  }

  /**
   * The object as the UI may show it: a Secret's values replaced by their size, and metadata.managedFields
   * (the API server's bookkeeping, long and never what a person looks for) left out.
   */
  static ObjectNode redacted(JsonNode object) {
    ObjectNode copy = object.deepCopy();
    if (copy.path("metadata").isObject()) {
      ((ObjectNode) copy.get("metadata")).remove("managedFields");
    }
    if ("Secret".equals(copy.path("kind").asText())) {
      for (String field : new String[] {"data", "stringData"}) {
        if (copy.path(field).isObject()) {
          ObjectNode values = (ObjectNode) copy.get(field);
          List<String> keys = new ArrayList<>();
          values.fieldNames().forEachRemaining(keys::add);
          for (String key : keys) {
            values.put(key, "(redacted, " + values.get(key).asText().length() + " characters)");
          }
        }
      }
      if (copy.path("metadata").path("annotations").isObject()) {
        // kubectl's last-applied annotation holds the whole Secret as JSON.
        ((ObjectNode) copy.get("metadata").get("annotations")).remove("kubectl.kubernetes.io/last-applied-configuration");
      }
    }
    return copy;
  }
}
