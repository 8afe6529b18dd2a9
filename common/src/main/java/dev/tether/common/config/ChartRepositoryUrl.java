package dev.tether.common.config;

import java.util.Set;

/**
 * Chart repository URLs as sources and Chart.yaml dependencies name them: {@code https://} and
 * {@code http://} (a folder with an index.yaml) and {@code oci://} (a registry path); credentials
 * belong to the server ({@code tether admin chart-repository add}), never in the URL.
 */
public final class ChartRepositoryUrl {
  private ChartRepositoryUrl() {}

  /** Why {@code url} cannot name a chart repository, or null when it can. */
  public static String problem(String url) {
    java.net.URI uri;
    try {
      uri = new java.net.URI(url);
    } catch (java.net.URISyntaxException e) {
      return "is not a URL; write a chart repository like https://charts.example.com/stable or oci://registry.example.com/charts";
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
    if (!Set.of("https", "http", "oci").contains(scheme)) {
      return "is not a chart repository URL: use https://HOST/PATH (a repository with an index.yaml) or oci://HOST/PATH "
          + "(an OCI registry)";
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      return "names no host";
    }
    if (uri.getRawUserInfo() != null) {
      return "holds credentials; give them to the server instead, with tether admin chart-repository add URL --username U "
          + "--password-file F (they are stored sealed)";
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      return "has a query or fragment; a chart repository URL is a scheme, a host and a path";
    }
    if (uri.getRawPath() != null && (uri.getRawPath().contains("/../") || uri.getRawPath().endsWith("/..")
        || uri.getRawPath().contains("%"))) {
      return "has '..' or '%' in its path; write the repository's plain path";
    }
    return null;
  }

  /** The URL as it is stored and matched: without a trailing slash. */
  public static String normalized(String url) {
    String u = url.strip();
    while (u.endsWith("/")) {
      u = u.substring(0, u.length() - 1);
    }
    return u;
  }
}
