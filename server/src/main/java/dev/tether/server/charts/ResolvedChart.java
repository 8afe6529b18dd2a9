package dev.tether.server.charts;

/**
 * A chart version picked in a repository, before or after its archive was fetched.
 *
 * @param repository the repository URL as the source names it ({@code https://...} or {@code oci://...})
 * @param name the chart's name
 * @param version the version picked (as published, for a range the newest matching one)
 * @param digest {@code sha256:<hex>} of the archive, as the repository states it; the archive is checked against it
 * @param archiveUrl where the archive is fetched from (for OCI, the layer's blob URL)
 */
public record ResolvedChart(String repository, String name, String version, String digest, String archiveUrl) {
  /** How status and messages name it: {@code podinfo 6.5.3 from https://charts.example.com}. */
  public String describe() {
    return name + " " + version + " from " + repository;
  }
}
