package dev.tether.common.kubeproxy;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Which headers the Kubernetes API proxy passes on. Nothing that could speak for someone else gets
 * through: the client's Authorization, every Impersonate-* header, the front-proxy identity
 * headers, hop-by-hop headers and any header the Connection header names. The server strips them
 * and the agent strips them again.
 */
public final class ProxyHeaders {
  private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
      "te", "trailer", "trailers", "transfer-encoding", "upgrade", "host", "content-length", "http2-settings");

  private ProxyHeaders() {}

  /** The request headers that may go to the API server. */
  public static Map<String, List<String>> request(Map<String, List<String>> headers) {
    Set<String> named = connectionNamed(headers);
    Map<String, List<String>> kept = new LinkedHashMap<>();
    headers.forEach((name, values) -> {
      String n = name.toLowerCase(Locale.ROOT);
      if (HOP_BY_HOP.contains(n) || named.contains(n) || n.equals("authorization") || n.startsWith("impersonate-")
          || n.startsWith("x-remote-") || n.startsWith(":")) {
        return;
      }
      kept.put(name, List.copyOf(values));
    });
    return kept;
  }

  /** The response headers that may go back to the client. */
  public static Map<String, List<String>> response(Map<String, List<String>> headers) {
    Set<String> named = connectionNamed(headers);
    Map<String, List<String>> kept = new LinkedHashMap<>();
    headers.forEach((name, values) -> {
      String n = name.toLowerCase(Locale.ROOT);
      if (!HOP_BY_HOP.contains(n) && !named.contains(n) && !n.startsWith(":")) {
        kept.put(name, List.copyOf(values));
      }
    });
    return kept;
  }

  /**
   * The response headers of a 101 (Switching Protocols) that go back to the client: those of
   * {@link #response} and the protocol switched to (Upgrade), which the client checks.
   */
  public static Map<String, List<String>> switched(Map<String, List<String>> headers) {
    Map<String, List<String>> kept = response(headers);
    headers.forEach((name, values) -> {
      if (name.equalsIgnoreCase("upgrade")) {
        kept.put("Upgrade", List.copyOf(values));
      }
    });
    return kept;
  }

  /** The protocol a request asks to switch to (its Upgrade header), or empty. */
  public static java.util.Optional<String> upgrade(Map<String, List<String>> headers) {
    for (Map.Entry<String, List<String>> e : headers.entrySet()) {
      if (e.getKey().equalsIgnoreCase("upgrade") && !e.getValue().isEmpty() && !e.getValue().get(0).isBlank()) {
        return java.util.Optional.of(String.join(", ", e.getValue()));
      }
    }
    return java.util.Optional.empty();
  }

  /** Whether a request asks to switch protocols (exec, attach, port-forward over SPDY or WebSocket). */
  public static boolean isUpgrade(Map<String, List<String>> headers) {
    for (Map.Entry<String, List<String>> e : headers.entrySet()) {
      if (e.getKey().equalsIgnoreCase("upgrade") && !e.getValue().isEmpty()) {
        return true;
      }
    }
    return connectionNamed(headers).contains("upgrade");
  }

  private static Set<String> connectionNamed(Map<String, List<String>> headers) {
    Set<String> named = new HashSet<>();
    headers.forEach((name, values) -> {
      if (name.equalsIgnoreCase("connection")) {
        for (String value : values) {
          for (String token : value.split(",")) {
            named.add(token.trim().toLowerCase(Locale.ROOT));
          }
        }
      }
    });
    return named;
  }
}
