package dev.tether.server.gitops;

import java.time.Instant;

/**
 * What one manifest project entry of an agent takes its manifests from, and its last render.
 *
 * @param kind {@code raw}, {@code kustomize} or {@code helm}
 * @param renders what is rendered (the overlay path), or null for raw files
 * @param renderedAt when the manifests the agent was last offered were rendered; null for raw files or before the first render
 * @param renderError why the last render failed, or null
 */
public record SourceStatus(String kind, String renders, Instant renderedAt, String renderCommit, String renderError) {

  /** Finds the source of an agent's entry, by the entry's inventory id. */
  public interface Lookup {
    java.util.Optional<SourceStatus> of(String agentName, String inventoryId);
  }
}
