package dev.tether.server.gitops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.common.config.HelmValues;
import dev.tether.common.config.ManifestSource;
import dev.tether.server.render.ClusterCapabilities;
import dev.tether.server.render.HelmRenderer;
import dev.tether.server.render.ProjectTree;
import dev.tether.server.render.RenderLimits;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Charts, rendered by real Helm, are cached per commit, source and cluster version. */
class RenderedHelmSourcesTest {
  private static final ManifestSource.Helm WEB = new ManifestSource.Helm("chart", "web", "apps",
      List.of(new HelmValues.File("values.prod.yaml")));
  private static final Map<String, String> PROJECT = Map.of(
      "chart/Chart.yaml", "apiVersion: v2\nname: web\nversion: 1.0.0\n",
      "chart/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata:\n  size: {{ .Values.size | quote }}\n"
          + "  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n",
      "values.prod.yaml", "size: large\n",
      "README.md", "hello\n");

  @TempDir Path dir;

  @Test
  void aHundredAgentsOnOneChartAndVersionCostOneRenderAndAnotherVersionOneMore() throws Exception {
    RenderedSources rendered = new RenderedSources((projectId, commit, max) -> ProjectTree.inMemory(projectId, commit, PROJECT, Set.of()),
        List.of(new HelmRenderer(dir, RenderLimits.DEFAULT)), RenderLimits.DEFAULT, Clock.systemUTC(), new SimpleMeterRegistry());
    ExecutorService agents = Executors.newFixedThreadPool(100);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<RenderedSources.Outcome>> answers = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      answers.add(agents.submit(() -> {
        start.await();
        return rendered.render("team/web", "c1", WEB, ClusterCapabilities.of("v1.37.2"));
      }));
    }
    start.countDown();
    for (Future<RenderedSources.Outcome> answer : answers) {
      RenderedSources.Outcome outcome = answer.get();
      assertThat(outcome.error()).isNull();
      assertThat(new String(outcome.selection().files().get(0).content(), StandardCharsets.UTF_8))
          .contains("size: \"large\"").contains("kube: \"v1.37.2\"");
    }
    agents.shutdown();
    assertThat(rendered.renders()).isEqualTo(1);

    RenderedSources.Outcome older = rendered.render("team/web", "c1", WEB, ClusterCapabilities.of("v1.31.0"));
    assertThat(new String(older.selection().files().get(0).content(), StandardCharsets.UTF_8)).contains("kube: \"v1.31.0\"");
    assertThat(rendered.renders()).isEqualTo(2);
    rendered.render("team/web", "c2", WEB, ClusterCapabilities.of("v1.37.2"));
    assertThat(rendered.renders()).as("a commit that changes nothing the chart reads").isEqualTo(2);
    rendered.render("team/web", "c2", WEB, ClusterCapabilities.of("v1.37.2").withoutHooks());
    assertThat(rendered.renders()).as("an older agent, which runs no hooks, gets a render of its own").isEqualTo(3);
  }
}
