package dev.tether.common.yaml;

/**
 * Bounds on YAML read from Git, which is hostile input: a file's size, how deep it nests, how many
 * aliases it may use and how many nodes it may expand to (which stops "billion laughs").
 */
public record YamlLimits(int maxBytes, int maxDepth, int maxAliases, int maxNodes) {

  /** For one agent configuration file. */
  public static final YamlLimits CONFIG = new YamlLimits(1024 * 1024, 64, 50, 100_000);
}
