package dev.tether.server.render;

import java.time.Duration;
import java.util.List;

/**
 * The renderers the server has (Kustomize, Helm) and how often a rendered source that resolved charts
 * from repositories asks them again, though its commit did not change.
 */
public record Renderers(List<Renderer> all, RenderLimits limits, Duration recheckRepositories) {
  public Renderers {
    all = List.copyOf(all);
  }
}
