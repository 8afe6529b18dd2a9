package dev.tether.server.gitops;

import java.time.Instant;

/**
 * What one manifest project entry of an agent takes its manifests from, and its last render.
 *
 * @param kind {@code raw}, {@code kustomize} or {@code helm}
 * @param renders what is rendered (the overlay path), or null for raw files
 * @param renderedAt when the manifests the agent was last offered were rendered; null for raw files or before the first render
 * @param renderError why the last render failed, or null
 * @param resolved what the last render took from chart repositories, with the versions resolved (a range's pick),
 *     like {@code podinfo 6.5.3 from https://charts.example.com}; null when it read only the project
 */
public record SourceStatus(String kind, String renders, Instant renderedAt, String renderCommit, String renderError, String resolved) {

  /** Finds the source of an agent's entry, by the entry's inventory id. */
  public interface Lookup {
    java.util.Optional<SourceStatus> of(String agentName, String inventoryId);
  }
}
