package dev.tether.common.config;

import java.util.List;

/**
 * One {@code paths[]} item of a raw manifest project: the files its glob matches, less those any of
 * its {@code exclude} globs match.
 */
public record ManifestPath(String glob, List<String> exclude) {
  public ManifestPath {
    exclude = List.copyOf(exclude);
  }

  public static ManifestPath of(String glob) {
    return new ManifestPath(glob, List.of());
  }
}
