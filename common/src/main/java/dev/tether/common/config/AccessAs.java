package dev.tether.common.config;

import java.util.List;
import java.util.Map;

/** {@code access_as:} the identity the agent uses towards its API server for a proxied request. */
public sealed interface AccessAs {

  /** The agent's own service account: no impersonation. */
  record Agent() implements AccessAs {}

  /** A fixed identity. */
  record Impersonate(String username, String uid, List<String> groups, Map<String, List<String>> extra)
      implements AccessAs {}

  /** An identity derived from the CI job's project (ci_access only). */
  record CiJob() implements AccessAs {}

  /** The person making the request, with their groups (user_access only). */
  record User() implements AccessAs {}
}
