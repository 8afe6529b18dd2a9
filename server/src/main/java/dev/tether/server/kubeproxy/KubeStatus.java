package dev.tether.server.kubeproxy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.common.json.JsonMappers;
import java.util.LinkedHashMap;
import java.util.Map;

/** Error answers as Kubernetes {@code Status} objects, so kubectl prints their message as it prints its own. */
final class KubeStatus {
  static final ObjectMapper JSON = JsonMappers.newMapper();

  private KubeStatus() {}

  static byte[] json(int code, String reason, String message) {
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("kind", "Status");
    status.put("apiVersion", "v1");
    status.put("metadata", Map.of());
    status.put("status", "Failure");
    status.put("message", message);
    status.put("reason", reason);
    status.put("code", code);
    try {
      return JSON.writeValueAsBytes(status);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static String reasonFor(int code) {
    return switch (code) {
      case 400 -> "BadRequest";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "NotFound";
      case 413 -> "RequestEntityTooLarge";
      case 429 -> "TooManyRequests";
      case 501 -> "NotImplemented";
      case 502 -> "BadGateway";
      case 503 -> "ServiceUnavailable";
      case 504 -> "Timeout";
      default -> "InternalError";
    };
  }
}
