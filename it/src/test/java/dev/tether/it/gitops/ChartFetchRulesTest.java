package dev.tether.it.gitops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.it.support.TetherHarness;
import dev.tether.server.charts.ChartCredentials;
import dev.tether.server.charts.ChartFetchException;
import dev.tether.server.charts.ChartRepositories;
import dev.tether.server.charts.ResolvedChart;
import dev.tether.server.git.GitUrlPolicy;
import dev.tether.testkit.charts.ChartRepositoryServer;
import dev.tether.testkit.charts.ChartTools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server's rules for fetching charts, against real chart repositories (packaged and indexed by
 * the real helm): its host rules, credentials only for their own origin, and archives checked
 * against the index's digest.
 */
class ChartFetchRulesTest {
  private static final String USER = "reader";
  private static final String PASSWORD = "rules-pass-51d0";

  private static Path chart(Path dir, String name, String version) {
    Path chart = dir.resolve("src/" + name + "-" + version);
    try {
      Files.createDirectories(chart.resolve("templates"));
      Files.writeString(chart.resolve("Chart.yaml"), "apiVersion: v2\nname: " + name + "\nversion: " + version + "\n");
      Files.writeString(chart.resolve("templates/cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + "}\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return chart;
  }

  private static ChartRepositories repositories(Path dir, GitUrlPolicy hosts, String credentialsFor) {
    return new ChartRepositories(dir.resolve("cache"), hosts,
        url -> url.equals(credentialsFor) ? Optional.of(new ChartCredentials.Basic(USER, PASSWORD)) : Optional.empty(),
        ChartRepositories.Settings.DEFAULT, Clock.systemUTC());
  }

  @Test
  @DisplayName("a repository on a host the server's rules do not allow is refused before a request is sent")
  void hostsOutsideTheRulesAreRefused(@TempDir Path dir) {
    ChartTools tools = ChartTools.locate(dir.resolve("helm-home"));
    try (ChartRepositoryServer repo = ChartRepositoryServer.serve(dir.resolve("repo"), tools, USER, PASSWORD)) {
      repo.publish(chart(dir, "web", "1.0.0"));
      ChartRepositories charts = repositories(dir, GitUrlPolicy.defaults(), repo.url());

      assertThatThrownBy(() -> charts.resolve(repo.url(), "web", "1.0.0")).isInstanceOf(ChartFetchException.class)
          .hasMessageContaining("index.yaml of chart repository " + repo.url() + ": 127.0.0.1 is a loopback address; Tether "
              + "reaches such addresses only when --allow-git-url names them");
      assertThat(repo.requested()).as("nothing was sent").isEmpty();
    }
  }

  @Test
  @DisplayName("an index that points archives to another origin: they are fetched without the repository's credentials")
  void credentialsStayWithTheirOrigin(@TempDir Path dir) {
    ChartTools tools = ChartTools.locate(dir.resolve("helm-home"));
    try (ChartRepositoryServer repo = ChartRepositoryServer.serve(dir.resolve("repo"), tools, USER, PASSWORD);
        ChartRepositoryServer mirror = ChartRepositoryServer.serve(dir.resolve("mirror"), tools, USER, PASSWORD)) {
      mirror.publish(chart(dir, "web", "1.0.0"));
      repo.publish(chart(dir, "web", "1.0.0"), mirror.url());
      ChartRepositories charts = repositories(dir, TetherHarness.LOOPBACK_AND_LOCAL, repo.url());

      ResolvedChart resolved = assertResolves(charts, repo.url());
      assertThat(resolved.archiveUrl()).isEqualTo(mirror.url() + "/web-1.0.0.tgz");
      assertThatThrownBy(() -> charts.archive(resolved)).isInstanceOf(ChartFetchException.class)
          .hasMessageContaining("the archive of chart web 1.0.0 from " + repo.url() + " (" + mirror.url() + "/web-1.0.0.tgz): "
              + "401 Unauthorized");
      assertThat(repo.authorizations()).as("the repository got its credentials").isNotEmpty();
      assertThat(mirror.requested()).containsExactly("/charts/web-1.0.0.tgz");
      assertThat(mirror.authorizations()).as("the other origin got none").isEmpty();
    }
  }

  @Test
  @DisplayName("an archive that differs from the index's digest is refused, and not kept")
  void archivesAreCheckedAgainstTheIndex(@TempDir Path dir) throws Exception {
    ChartTools tools = ChartTools.locate(dir.resolve("helm-home"));
    try (ChartRepositoryServer repo = ChartRepositoryServer.serve(dir.resolve("repo"), tools, USER, PASSWORD)) {
      repo.publish(chart(dir, "web", "1.0.0"));
      Path other = tools.packageChart(chart(dir, "other", "1.0.0"), dir.resolve("other"));
      repo.replaceArchive("web-1.0.0.tgz", Files.readAllBytes(other));
      ChartRepositories charts = repositories(dir, TetherHarness.LOOPBACK_AND_LOCAL, repo.url());

      ResolvedChart resolved = assertResolves(charts, repo.url());
      assertThatThrownBy(() -> charts.archive(resolved)).isInstanceOf(ChartFetchException.class)
          .hasMessageStartingWith("the archive of chart web 1.0.0 from " + repo.url() + " has digest sha256:")
          .hasMessageContaining(", not " + resolved.digest() + " as the repository states");
      if (Files.isDirectory(dir.resolve("cache"))) {
        try (var cached = Files.list(dir.resolve("cache"))) {
          assertThat(cached.filter(p -> p.toString().endsWith(".tgz"))).as("nothing cached").isEmpty();
        }
      }
    }
  }

  private static ResolvedChart assertResolves(ChartRepositories charts, String repository) {
    try {
      return charts.resolve(repository, "web", "~1.0");
    } catch (ChartFetchException e) {
      throw new AssertionError(e.getMessage(), e);
    }
  }
}
