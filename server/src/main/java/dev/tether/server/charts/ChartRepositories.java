package dev.tether.server.charts;

import dev.tether.common.config.ChartVersionRange;
import dev.tether.server.git.GitUrlPolicy;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;

/**
 * Charts from chart repositories (HTTP(S) with an index.yaml) and OCI registries, fetched by the
 * server in Java under its host policy and limits, with the credentials it holds for them. An
 * archive is kept on disk under its digest once it was checked against it, so a chart version is
 * downloaded once; which version a range picks is asked again when the cached index or tag list is
 * older than {@link Settings#indexTtl()}.
 */
public final class ChartRepositories {
  /**
   * @param indexTtl how long an index.yaml is used before it is fetched again (a range is resolved again then)
   * @param timeout per request
   * @param maxIndexBytes size limit of an index.yaml
   * @param maxArchiveBytes size limit of a chart archive as downloaded
   */
  public record Settings(Duration indexTtl, Duration timeout, long maxIndexBytes, long maxArchiveBytes) {
    public static final Settings DEFAULT = new Settings(Duration.ofMinutes(5), Duration.ofSeconds(30), 32L * 1024 * 1024,
        20L * 1024 * 1024);

    public Settings withIndexTtl(Duration value) {
      return new Settings(value, timeout, maxIndexBytes, maxArchiveBytes);
    }
  }

  /** The credentials the server holds for a repository URL, if any (the store's sealed ones in production). */
  @FunctionalInterface
  public interface CredentialSource {
    Optional<ChartCredentials> find(String repositoryUrl);
  }

  private final Path cacheDir;
  private final Settings settings;
  private final CredentialSource credentials;
  private final HttpChartRepository http;
  private final OciChartRegistry oci;

  public ChartRepositories(Path cacheDir, GitUrlPolicy hosts, CredentialSource credentials, Settings settings, Clock clock) {
    this.cacheDir = cacheDir;
    this.settings = settings;
    this.credentials = credentials;
    ChartHttp client = new ChartHttp(hosts, settings.timeout());
    this.http = new HttpChartRepository(client, settings.maxIndexBytes(), settings.indexTtl(), clock);
    this.oci = new OciChartRegistry(client);
  }

  /** The version of {@code chart} in {@code repository} that {@code version} (exact or a range) picks. */
  public ResolvedChart resolve(String repository, String chart, String version) throws ChartFetchException {
    ChartVersionRange range;
    try {
      range = ChartVersionRange.parse(version);
    } catch (IllegalArgumentException e) {
      throw new ChartFetchException("version '" + version + "' of chart " + chart + " " + e.getMessage(), false);
    }
    ChartCredentials creds = credentialsFor(repository);
    return isOci(repository) ? oci.resolve(repository, chart, range, creds) : http.resolve(repository, chart, range, creds);
  }

  /** The archive of a resolved chart, from the cache or downloaded and checked against its digest. */
  public byte[] archive(ResolvedChart chart) throws ChartFetchException {
    Path cached = cacheDir.resolve(chart.digest().replace(':', '-') + ".tgz");
    try {
      if (Files.isRegularFile(cached)) {
        return Files.readAllBytes(cached);
      }
    } catch (IOException e) {
      // An unreadable cache entry is fetched again.
    }
    ChartCredentials creds = credentialsFor(chart.repository());
    byte[] bytes = isOci(chart.repository()) ? oci.download(chart, creds, settings.maxArchiveBytes())
        : http.download(chart, creds, settings.maxArchiveBytes());
    String actual = "sha256:" + sha256(bytes);
    if (!actual.equals(chart.digest())) {
      throw new ChartFetchException("the archive of chart " + chart.describe() + " has digest " + actual + ", not " + chart.digest()
          + " as the repository states: it changed or was tampered with in transit; nothing is applied until they agree", false);
    }
    store(cached, bytes);
    return bytes;
  }

  private void store(Path cached, byte[] bytes) throws ChartFetchException {
    try {
      Files.createDirectories(cacheDir);
      Path temp = Files.createTempFile(cacheDir, "fetch-", ".part");
      Files.write(temp, bytes);
      try {
        Files.move(temp, cached, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, cached, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new ChartFetchException("cannot keep a chart archive in the server's chart cache: " + e.getMessage(), true);
    }
  }

  /** The stored credentials whose URL is the longest prefix of the repository's (at a path boundary): a registry login covers its paths. */
  private ChartCredentials credentialsFor(String repository) {
    String url = repository;
    while (true) {
      Optional<ChartCredentials> found = credentials.find(url);
      if (found.isPresent()) {
        return found.get();
      }
      int slash = url.lastIndexOf('/');
      if (slash <= url.indexOf("://") + 2) {
        return new ChartCredentials.None();
      }
      url = url.substring(0, slash);
    }
  }

  public static boolean isOci(String repository) {
    return repository.toLowerCase(Locale.ROOT).startsWith("oci://");
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
