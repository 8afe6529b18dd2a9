package dev.tether.it.gitops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.common.config.ManifestSource;
import dev.tether.server.charts.ChartRepositories;
import dev.tether.server.charts.ChartCredentials;
import dev.tether.server.gitops.RenderedSources;
import dev.tether.server.render.HelmRenderer;
import dev.tether.server.render.ProjectTree;
import dev.tether.server.render.RenderLimits;
import dev.tether.it.support.TetherHarness;
import dev.tether.testkit.charts.ChartRepositoryServer;
import dev.tether.testkit.charts.ChartTools;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When a range is resolved again: the server's render cache against a real chart repository (packaged
 * and indexed by the real helm), with the clock in the test's hand.
 */
class ChartRangeResolutionTest {
  private static final Duration RECHECK = ChartRepositories.Settings.DEFAULT.indexTtl();

  /** A clock that moves only when the test says so. */
  private static final class TestClock extends Clock {
    private Instant now = Instant.parse("2026-12-01T10:00:00Z");

    synchronized void advance(Duration by) {
      now = now.plus(by);
    }

    @Override
    public synchronized Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }

  private static Path chart(Path dir, String version) {
    Path chart = dir.resolve("src/web-" + version);
    try {
      Files.createDirectories(chart.resolve("templates"));
      Files.writeString(chart.resolve("Chart.yaml"), "apiVersion: v2\nname: web\nversion: " + version + "\n");
      Files.writeString(chart.resolve("templates/cm.yaml"),
          "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {version: {{ .Chart.Version | quote }}}\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return chart;
  }

  @Test
  @DisplayName("a range is resolved again once the last resolution is older than the index's lifetime: a newly published "
      + "matching version renders again, an unchanged resolution does not")
  void aRangeIsResolvedAgainAfterTheIndexLifetime(@TempDir Path dir) {
    ChartTools tools = ChartTools.locate(dir.resolve("helm-home"));
    TestClock clock = new TestClock();
    try (ChartRepositoryServer repo = ChartRepositoryServer.serve(dir.resolve("repo"), tools, "u", "p")) {
      repo.publish(chart(dir, "1.0.0"));
      ChartRepositories charts = new ChartRepositories(dir.resolve("cache"), TetherHarness.LOOPBACK_AND_LOCAL,
          url -> url.equals(repo.url()) ? Optional.of(new ChartCredentials.Basic("u", "p")) : Optional.empty(),
          ChartRepositories.Settings.DEFAULT, clock);
      ProjectTree tree = ProjectTree.inMemory("team/app", "c1", Map.of("README.md", "app\n"), Set.of());
      RenderedSources rendered = new RenderedSources((project, commit, max) -> tree,
          List.of(new HelmRenderer(dir.resolve("render"), RenderLimits.DEFAULT, charts)), RenderLimits.DEFAULT, clock,
          new SimpleMeterRegistry(), RECHECK);
      ManifestSource.Helm source = new ManifestSource.Helm("web", "web", "apps", List.of(), repo.url(), "^1.0.0");

      RenderedSources.Outcome first = rendered.render("team/app", "c1", source);
      assertThat(first.error()).isNull();
      assertThat(first.resolved()).isEqualTo("web 1.0.0 from " + repo.url());
      assertThat(new String(first.selection().files().get(0).content(), StandardCharsets.UTF_8)).contains("version: \"1.0.0\"");

      repo.publish(chart(dir, "1.1.0"));
      clock.advance(RECHECK.minusSeconds(1));
      RenderedSources.Outcome soon = rendered.render("team/app", "c1", source);
      assertThat(soon.resolved()).as("within the lifetime the resolution stands").isEqualTo(first.resolved());
      assertThat(rendered.renders()).isEqualTo(1);

      clock.advance(Duration.ofSeconds(2));
      RenderedSources.Outcome later = rendered.render("team/app", "c1", source);
      assertThat(later.resolved()).isEqualTo("web 1.1.0 from " + repo.url());
      assertThat(new String(later.selection().files().get(0).content(), StandardCharsets.UTF_8)).contains("version: \"1.1.0\"");
      assertThat(later.selection().digest()).isNotEqualTo(first.selection().digest());
      assertThat(rendered.renders()).isEqualTo(2);

      long indexFetches = repo.requested().stream().filter(p -> p.endsWith("/index.yaml")).count();
      clock.advance(RECHECK.plusSeconds(1));
      RenderedSources.Outcome unchanged = rendered.render("team/app", "c1", source);
      assertThat(repo.requested().stream().filter(p -> p.endsWith("/index.yaml")).count()).as("resolved again")
          .isEqualTo(indexFetches + 1);
      assertThat(unchanged.selection().digest()).as("the same version: the same manifests").isEqualTo(later.selection().digest());
      assertThat(rendered.renders()).as("and no render").isEqualTo(2);
      assertThat(repo.requested()).filteredOn(p -> p.endsWith(".tgz")).as("each archive downloaded once")
          .containsExactly("/charts/web-1.0.0.tgz", "/charts/web-1.1.0.tgz");
    }
  }
}
