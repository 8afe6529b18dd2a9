package dev.tether.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.testkit.k8s.AuditLog;
import java.util.Set;

/**
 * The requests one client made, read from the API server's audit log by user agent: writes that
 * persist, server-side dry runs (Flux's engine sends one per object to detect drift; they write
 * nothing but cost the API server nearly as much as a write), and reads (get, list, watch).
 */
record ApiRequests(int writes, int dryRuns, int reads) {
  private static final Set<String> WRITE_VERBS = Set.of("create", "update", "patch", "delete", "deletecollection");

  static ApiRequests since(AuditLog audit, long mark, String userAgentPrefix) {
    int writes = 0;
    int dryRuns = 0;
    int reads = 0;
    for (JsonNode event : audit.requestsSince(mark, userAgentPrefix)) {
      if (!WRITE_VERBS.contains(event.path("verb").asText())) {
        reads++;
      } else if (event.path("requestURI").asText().contains("dryRun=All")) {
        dryRuns++;
      } else {
        writes++;
      }
    }
    return new ApiRequests(writes, dryRuns, reads);
  }

  /** "12 w / 3 dry / 40 r", short enough for a table cell. */
  @Override
  public String toString() {
    return writes + " w / " + dryRuns + " dry / " + reads + " r";
  }
}
