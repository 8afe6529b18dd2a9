package dev.tether.common.config;

/**
 * One thing wrong in a configuration file, located so a person can go straight to it.
 *
 * @param path the key path, e.g. {@code gitops.manifest_projects[0].ref.branch}; empty for the document
 * @param line 1-based, 0 when not known
 * @param column 1-based, 0 when not known
 */
public record ConfigError(String file, int line, int column, String path, String message) {
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder(file);
    if (line > 0) {
      s.append(':').append(line).append(':').append(column);
    }
    s.append(": ");
    if (!path.isEmpty()) {
      s.append(path).append(": ");
    }
    return s.append(message).toString();
  }
}
