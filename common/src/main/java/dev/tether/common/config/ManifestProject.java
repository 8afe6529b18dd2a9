package dev.tether.common.config;

import java.time.Duration;
import java.util.List;

/**
 * One entry of {@code gitops.manifest_projects}. The first ten keys are the GitLab agent's; the
 * rest are Tether's own.
 *
 * @param inventoryId the cli-utils inventory id; empty means one derived from the agent and project
 *     (set it to a GitLab agent's {@code <agent id>-<project id>} to take over what that agent applied)
 * @param pruneWhenEmpty whether a commit that selects no files may prune everything the last one applied
 */
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
    InventoryPolicy inventoryPolicy,
    String inventoryId,
    Drift drift,
    Duration resyncInterval,
    String fieldManager,
    boolean forceConflicts,
    boolean pruneWhenEmpty) {

  public static final String DEFAULT_GLOB = "/**/*.{yaml,yml,json}";
  public static final String DEFAULT_NAMESPACE = "default";
  public static final Duration DEFAULT_TIMEOUT = Duration.ofHours(1);
  public static final Duration DEFAULT_RESYNC_INTERVAL = Duration.ofMinutes(10);
  /** Below a second the agent would resync without pause and keep the API server busy for nothing. */
  public static final Duration MIN_RESYNC_INTERVAL = Duration.ofSeconds(1);
  public static final String DEFAULT_FIELD_MANAGER = "tether";

  /** What to do when an applied field is changed in the cluster: put it back, or only say so. */
  public enum Drift { CORRECT, REPORT }

  public enum DryRunStrategy { NONE, CLIENT, SERVER }

  public enum PropagationPolicy { ORPHAN, BACKGROUND, FOREGROUND }

  public enum InventoryPolicy { MUST_MATCH, ADOPT_IF_NO_INVENTORY, ADOPT_ALL }
}
