package dev.tether.common.config;

import java.time.Duration;
import java.util.List;

/** One entry of {@code gitops.manifest_projects}. */
public record ManifestProject(
    String id,
    GitRef ref,
    String defaultNamespace,
    List<String> globs,
    Duration reconcileTimeout,
    DryRunStrategy dryRunStrategy,
    boolean prune,
    Duration pruneTimeout,
    PropagationPolicy prunePropagationPolicy,
    InventoryPolicy inventoryPolicy) {

  public static final String DEFAULT_GLOB = "/**/*.{yaml,yml,json}";
  public static final String DEFAULT_NAMESPACE = "default";
  public static final Duration DEFAULT_TIMEOUT = Duration.ofHours(1);

  public enum DryRunStrategy { NONE, CLIENT, SERVER }

  public enum PropagationPolicy { ORPHAN, BACKGROUND, FOREGROUND }

  public enum InventoryPolicy { MUST_MATCH, ADOPT_IF_NO_INVENTORY, ADOPT_ALL }
}
