package dev.tether.common.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

/**
 * One entry of {@code gitops.manifest_projects}. The first ten keys are the GitLab agent's; the
 * rest are Tether's own.
 *
 * @param inventoryId the cli-utils inventory id; empty means one derived from the agent and project
 *     (set it to a GitLab agent's {@code <agent id>-<project id>} to take over what that agent applied)
 * @param source the files selected by {@code paths}, or the overlay that {@code kustomize} renders
 * @param pruneWhenEmpty whether a commit that selects no files may prune everything the last one applied
 * @param name what {@code depends_on} calls this entry: its own {@code name}, else the project id (a chart entry: its release name)
 * @param dependsOn the names of the entries of the same agent that must be synced and healthy before this one syncs
 */
public record ManifestProject(
    String id,
    GitRef ref,
    String defaultNamespace,
    ManifestSource source,
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
    boolean pruneWhenEmpty,
    String name,
    List<String> dependsOn) {

  public ManifestProject {
    dependsOn = List.copyOf(dependsOn);
  }

  public static final String DEFAULT_GLOB = "/**/*.{yaml,yml,json}";
  public static final String DEFAULT_NAMESPACE = "default";
  public static final Duration DEFAULT_TIMEOUT = Duration.ofHours(1);
  /**
   * How long applied objects may take to become healthy before they are reported Failed: Kubernetes'
   * own progress deadline for Deployments (progressDeadlineSeconds, 600), after which Argo CD shows
   * them Degraded. The GitLab agent's hour kept a broken rollout "Progressing" for that long.
   */
  public static final Duration DEFAULT_RECONCILE_TIMEOUT = Duration.ofMinutes(10);
  public static final Duration DEFAULT_RESYNC_INTERVAL = Duration.ofMinutes(10);
  /** Below a second the agent would resync without pause and keep the API server busy for nothing. */
  public static final Duration MIN_RESYNC_INTERVAL = Duration.ofSeconds(1);
  public static final String DEFAULT_FIELD_MANAGER = "tether";

  /** What to do when an applied field is changed in the cluster: put it back, or only say so. */
  public enum Drift { CORRECT, REPORT }

  public enum DryRunStrategy { NONE, CLIENT, SERVER }

  public enum PropagationPolicy { ORPHAN, BACKGROUND, FOREGROUND }

  public enum InventoryPolicy { MUST_MATCH, ADOPT_IF_NO_INVENTORY, ADOPT_ALL }

  /** The globs of a raw entry's {@code paths}; empty for an entry that renders its manifests. */
  public List<String> globs() {
    return source instanceof ManifestSource.Raw raw ? raw.paths().stream().map(ManifestPath::glob).toList() : List.of();
  }

  /**
   * The inventory id this entry uses on agent {@code agentName}: its own, or one derived from agent
   * and project, and for a rendered source also from what it renders, so that a raw entry and an
   * overlay of one project (or two overlays) never share an inventory.
   */
  public String inventoryIdFor(String agentName) {
    if (!inventoryId.isEmpty()) {
      return inventoryId;
    }
    return source.renders() == null ? derivedInventoryId(agentName, id) : derivedInventoryId(agentName,
        id + "-" + (source.renders().equals(".") ? source.kind().name().toLowerCase(java.util.Locale.ROOT) : source.renders()));
  }

  /**
   * The inventory id for an agent's manifest project: readable when it fits a label value, else
   * shortened with a hash so two projects never share one.
   */
  private static String derivedInventoryId(String agentName, String projectId) {
    String readable = (agentName + "-" + projectId).replaceAll("[^A-Za-z0-9._-]", ".").replaceAll("\\.{2,}", ".");
    if (readable.length() <= 63 && readable.matches("[A-Za-z0-9].*[A-Za-z0-9]")) {
      return readable;
    }
    String hash = sha256(agentName + "\0" + projectId).substring(0, 10);
    String prefix = readable.substring(0, Math.min(readable.length(), 52)).replaceAll("[^A-Za-z0-9]+$", "");
    return prefix + "-" + hash;
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
