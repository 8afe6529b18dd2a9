package dev.tether.common.config;

import java.util.List;

/** {@code ci_access:} which CI jobs may use the agent's cluster, and as whom. */
public record CiAccess(List<Grant> projects, List<Grant> groups) {

  /** A project or group let in, the identity its jobs get, and optionally the environments they must deploy to. */
  public record Grant(String id, String defaultNamespace, AccessAs accessAs, List<String> environments) {}
}
