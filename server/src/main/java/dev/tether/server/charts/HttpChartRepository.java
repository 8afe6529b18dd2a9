package dev.tether.server.charts;

import dev.tether.common.config.ChartVersionRange;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Helm chart repository over HTTP(S): its {@code index.yaml} (kept for a short time, so that
 * every poll does not download it), the version a source asks for, and the archive the index
 * names for it, checked against the index's digest.
 */
final class HttpChartRepository {
  private record CachedIndex(ChartIndex index, Instant fetchedAt) {}

  private final ChartHttp http;
  private final long maxIndexBytes;
  private final Duration indexTtl;
  private final Clock clock;
  private final Map<String, CachedIndex> indexes = new ConcurrentHashMap<>();

  HttpChartRepository(ChartHttp http, long maxIndexBytes, Duration indexTtl, Clock clock) {
    this.http = http;
    this.maxIndexBytes = maxIndexBytes;
    this.indexTtl = indexTtl;
    this.clock = clock;
  }

  /** The version of {@code chart} that {@code range} picks, from the index (fetched again once when it lacks a match). */
  ResolvedChart resolve(String repository, String chart, ChartVersionRange range, ChartCredentials credentials)
      throws ChartFetchException {
    CachedIndex cached = indexes.get(repository);
    boolean fresh = cached == null || cached.fetchedAt().plus(indexTtl).isBefore(clock.instant());
    ChartIndex index = fresh ? fetchIndex(repository, credentials) : cached.index();
    ResolvedChart resolved = pick(repository, index, chart, range);
    if (resolved == null && !fresh) {
      // Published since the index was cached: a source that names a new version should not wait for the cache to expire.
      resolved = pick(repository, fetchIndex(repository, credentials), chart, range);
    }
    if (resolved != null) {
      return resolved;
    }
    index = indexes.get(repository).index();
    List<ChartIndex.Version> versions = index.charts().get(chart);
    if (versions == null || versions.isEmpty()) {
      throw new ChartFetchException("chart '" + chart + "' is not in " + repository + "/index.yaml; check the chart name (the "
          + "repository has " + index.charts().size() + " charts)", false);
    }
    throw new ChartFetchException("no version of chart '" + chart + "' in " + repository + " matches '" + range + "'; it has "
        + String.join(", ", versions.stream().map(ChartIndex.Version::version).limit(10).toList())
        + (versions.size() > 10 ? ", ..." : ""), false);
  }

  private ChartIndex fetchIndex(String repository, ChartCredentials credentials) throws ChartFetchException {
    URI uri = URI.create(repository + "/index.yaml");
    String what = "index.yaml of chart repository " + repository;
    ChartHttp.Response response = http.get(uri, authorization(credentials), ChartHttp.origin(uri), null, maxIndexBytes, what);
    if (response.status() != 200) {
      throw new ChartFetchException(what + ": " + ChartHttp.explain(response.status()), response.status() >= 500 || response.status() == 429);
    }
    ChartIndex index = ChartIndex.parse(response.body(), what);
    indexes.put(repository, new CachedIndex(index, clock.instant()));
    return index;
  }

  private static ResolvedChart pick(String repository, ChartIndex index, String chart, ChartVersionRange range)
      throws ChartFetchException {
    List<ChartIndex.Version> versions = index.charts().getOrDefault(chart, List.of());
    String picked = range.newest(versions.stream().map(ChartIndex.Version::version).toList()).orElse(null);
    if (picked == null) {
      return null;
    }
    ChartIndex.Version version = versions.stream().filter(v -> v.version().equals(picked)).findFirst().orElseThrow();
    String what = "chart " + chart + " " + picked + " in " + repository + "/index.yaml";
    if (version.urls().isEmpty()) {
      throw new ChartFetchException(what + " lists no archive URL", false);
    }
    if (version.digest() == null || !version.digest().matches("[0-9a-fA-F]{64}")) {
      throw new ChartFetchException(what + " has no sha256 digest; Tether checks every archive against the index's digest: "
          + "build the index with helm repo index, which writes one", false);
    }
    URI archive;
    try {
      // Helm resolves a relative URL against the repository URL as a folder.
      archive = URI.create(repository + "/").resolve(version.urls().get(0));
    } catch (IllegalArgumentException e) {
      throw new ChartFetchException(what + " has an archive URL that is not a URL", false);
    }
    String scheme = archive.getScheme() == null ? "" : archive.getScheme();
    if (!scheme.equals("https") && !scheme.equals("http") || archive.getHost() == null) {
      throw new ChartFetchException(what + " has the archive URL scheme '" + scheme + "'; Tether fetches archives over "
          + "https and http only", false);
    }
    return new ResolvedChart(repository, chart, picked, "sha256:" + version.digest().toLowerCase(java.util.Locale.ROOT),
        archive.toString());
  }

  /** The archive's bytes; credentials go only to the repository's own origin, whatever host the index names. */
  byte[] download(ResolvedChart chart, ChartCredentials credentials, long maxBytes) throws ChartFetchException {
    String what = "the archive of chart " + chart.describe();
    ChartHttp.Response response = http.get(URI.create(chart.archiveUrl()), authorization(credentials),
        ChartHttp.origin(URI.create(chart.repository())), null, maxBytes, what);
    if (response.status() != 200) {
      throw new ChartFetchException(what + " (" + ChartHttp.redacted(URI.create(chart.archiveUrl())) + "): "
          + ChartHttp.explain(response.status()),
          response.status() >= 500 || response.status() == 429);
    }
    return response.body();
  }

  static String authorization(ChartCredentials credentials) {
    if (credentials instanceof ChartCredentials.Basic basic) {
      return basic.header();
    }
    return credentials instanceof ChartCredentials.Token token ? "Bearer " + token.token() : null;
  }
}
