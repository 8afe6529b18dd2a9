package dev.tether.server.gitops;

import java.util.List;

/**
 * The manifests a manifest project's ref and globs select at one commit.
 *
 * @param digest SHA-256 over the sorted paths and blob ids: equal digests mean equal content
 */
public record ManifestSelection(String projectId, String commit, String digest, List<File> files) {

  public record File(String path, byte[] content) {}

  public long totalBytes() {
    return files.stream().mapToLong(f -> f.content().length).sum();
  }
}
