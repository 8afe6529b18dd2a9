package dev.tether.agent.kubeproxy;

import dev.tether.proto.v1.Header;
import dev.tether.proto.v1.Impersonation;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The Impersonate-* headers that make the API server act as the identity the server decided. */
final class ImpersonationHeaders {
  private ImpersonationHeaders() {}

  /** The headers for {@code as}; none for an empty user, which is the agent's own identity (access_as agent). */
  static Map<String, List<String>> of(Impersonation as) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    if (as.getUser().isEmpty()) {
      return headers;
    }
    headers.put("Impersonate-User", List.of(as.getUser()));
    if (as.getGroupsCount() > 0) {
      headers.put("Impersonate-Group", List.copyOf(as.getGroupsList()));
    }
    if (!as.getUid().isEmpty()) {
      headers.put("Impersonate-Uid", List.of(as.getUid()));
    }
    for (Header extra : as.getExtraList()) {
      String key = URLEncoder.encode(extra.getName().toLowerCase(Locale.ROOT), StandardCharsets.UTF_8);
      headers.computeIfAbsent("Impersonate-Extra-" + key, k -> new ArrayList<>()).addAll(extra.getValuesList());
    }
    return headers;
  }
}
