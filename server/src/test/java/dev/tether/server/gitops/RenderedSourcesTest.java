package dev.tether.server.gitops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.common.config.ManifestSource;
import dev.tether.server.render.KustomizationCheck;
import dev.tether.server.render.ProjectTree;
import dev.tether.server.render.RenderException;
import dev.tether.server.render.RenderLimits;
import dev.tether.server.render.RenderPlan;
import dev.tether.server.render.Renderer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Renders happen once per source and inputs however many agents ask. The renderer here plans as the
 * kustomize one does (the real pre-check) and renders by listing what it read, slowly, counting calls.
 */
class RenderedSourcesTest {
  private static final ManifestSource OVERLAY = new ManifestSource.Kustomize("overlays/prod");
  private final Map<String, Map<String, String>> commits = new HashMap<>();
  private final AtomicInteger renderCalls = new AtomicInteger();

  private final Renderer counting = new Renderer() {
    @Override
    public ManifestSource.Kind kind() {
      return ManifestSource.Kind.KUSTOMIZE;
    }

    @Override
    public RenderPlan plan(ProjectTree tree, ManifestSource source) throws RenderException {
      List<ProjectTree.Entry> inputs = new ArrayList<>();
      for (String root : KustomizationCheck.check(tree, ((ManifestSource.Kustomize) source).path(), 1 << 20)) {
        inputs.addAll(tree.under(root));
      }
      StringBuilder key = new StringBuilder();
      inputs.forEach(e -> key.append(e.path()).append('=').append(e.contentId()).append(';'));
      return new RenderPlan(tree, source, inputs, key.toString());
    }

    @Override
    public byte[] render(RenderPlan plan) throws RenderException {
      renderCalls.incrementAndGet();
      try {
        Thread.sleep(200); // long enough for every caller to arrive while the render runs
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      StringBuilder out = new StringBuilder();
      for (ProjectTree.Entry e : plan.inputs()) {
        out.append("# ").append(e.path()).append('\n').append(new String(plan.tree().read(e, 1 << 20), StandardCharsets.UTF_8));
      }
      return out.toString().getBytes(StandardCharsets.UTF_8);
    }
  };

  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final RenderedSources rendered = new RenderedSources(
      (projectId, commit, max) -> ProjectTree.inMemory(projectId, commit, commits.get(commit), Set.of()),
      List.of(counting), RenderLimits.DEFAULT, Clock.systemUTC(), meters);

  private static Map<String, String> project(String replicas, String readme) {
    Map<String, String> files = new HashMap<>();
    files.put("base/kustomization.yaml", "resources: [cm.yaml]\n");
    files.put("base/cm.yaml", "kind: ConfigMap\n");
    files.put("overlays/prod/kustomization.yaml", "resources: [../../base]\nreplicas: [{name: web, count: " + replicas + "}]\n");
    files.put("README.md", readme);
    return files;
  }

  @Test
  void aHundredAgentsAskingAtOnceCostOneRender() throws Exception {
    commits.put("c1", project("2", "hello"));
    ExecutorService agents = Executors.newFixedThreadPool(100);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<RenderedSources.Outcome>> answers = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      answers.add(agents.submit(() -> {
        start.await();
        return rendered.render("team/web", "c1", new ManifestSource.Kustomize("overlays/prod"));
      }));
    }
    start.countDown();
    List<String> digests = new ArrayList<>();
    for (Future<RenderedSources.Outcome> answer : answers) {
      digests.add(answer.get().selection().digest());
    }
    agents.shutdown();

    assertThat(renderCalls).hasValue(1);
    assertThat(rendered.renders()).isEqualTo(1);
    assertThat(digests).hasSize(100).containsOnly(digests.get(0));
    assertThat(answers.get(0).get().selection().files()).singleElement()
        .satisfies(f -> assertThat(f.path()).isEqualTo("overlays/prod/kustomize-build.yaml"));
  }

  @Test
  void aCommitThatChangesNothingTheOverlayReadsIsNotRenderedAgain() {
    commits.put("c1", project("2", "hello"));
    commits.put("c2", project("2", "a new README"));
    commits.put("c3", project("3", "a new README"));

    RenderedSources.Outcome first = rendered.render("team/web", "c1", OVERLAY);
    RenderedSources.Outcome unrelated = rendered.render("team/web", "c2", OVERLAY);
    RenderedSources.Outcome patched = rendered.render("team/web", "c3", OVERLAY);

    assertThat(unrelated.selection().commit()).isEqualTo("c2");
    assertThat(unrelated.selection().digest()).isEqualTo(first.selection().digest());
    assertThat(unrelated.renderedAt()).isEqualTo(first.renderedAt());
    assertThat(patched.selection().digest()).isNotEqualTo(first.selection().digest());
    assertThat(renderCalls).hasValue(2);
  }

  @Test
  void theRenderTimerSaysHowEachAnswerWasHad() {
    commits.put("c1", project("2", "hello"));
    commits.put("c2", project("2", "a new README"));

    rendered.render("team/web", "c1", OVERLAY);
    rendered.render("team/web", "c1", OVERLAY);
    rendered.render("team/web", "c1", OVERLAY);
    rendered.render("team/web", "c2", OVERLAY);

    assertThat(answers("miss")).isEqualTo(1);
    assertThat(answers("commit")).as("the same commit again").isEqualTo(2);
    assertThat(answers("inputs")).as("a commit that changes nothing the overlay reads").isEqualTo(1);
    assertThat(meters.get("tether.render.duration").tag("cache", "miss").timer().totalTime(java.util.concurrent.TimeUnit.MILLISECONDS))
        .as("the render itself takes the renderer's 200 ms").isGreaterThanOrEqualTo(200);
  }

  private long answers(String cache) {
    return meters.get("tether.render.duration").tag("kind", "kustomize").tag("cache", cache).timer().count();
  }

  @Test
  void aRefusedOverlayIsAnErrorNamingTheSourceAndIsNotRetriedForTheSameCommit() {
    Map<String, String> files = project("2", "");
    files.put("overlays/prod/kustomization.yaml", "resources: ['https://example.com/x.yaml']\n");
    commits.put("c1", files);

    RenderedSources.Outcome outcome = rendered.render("team/web", "c1", OVERLAY);
    rendered.render("team/web", "c1", OVERLAY);

    assertThat(outcome.selection()).isNull();
    assertThat(outcome.error()).startsWith("kustomize overlays/prod: overlays/prod/kustomization.yaml: resources[0] "
        + "'https://example.com/x.yaml' is a remote resource");
    assertThat(renderCalls).hasValue(0);
  }

  @Test
  void anErrorOfTheServersOwnIsTriedAgainAfterAWhileAndTheSourcesOwnIsNot() {
    commits.put("c1", project("2", ""));
    AtomicInteger calls = new AtomicInteger();
    Renderer missingProgram = new Renderer() {
      @Override
      public ManifestSource.Kind kind() {
        return ManifestSource.Kind.KUSTOMIZE;
      }

      @Override
      public RenderPlan plan(ProjectTree tree, ManifestSource source) throws RenderException {
        return counting.plan(tree, source);
      }

      @Override
      public byte[] render(RenderPlan plan) throws RenderException {
        if (calls.incrementAndGet() == 1) {
          throw new RenderException("the server has no kustomize program", true);
        }
        return "kind: ConfigMap\n".getBytes(StandardCharsets.UTF_8);
      }
    };
    java.time.Instant[] now = {java.time.Instant.parse("2026-12-01T10:00:00Z")};
    Clock clock = new Clock() {
      @Override
      public java.time.ZoneId getZone() {
        return java.time.ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(java.time.ZoneId zone) {
        return this;
      }

      @Override
      public java.time.Instant instant() {
        return now[0];
      }
    };
    RenderedSources sources = new RenderedSources(
        (projectId, commit, max) -> ProjectTree.inMemory(projectId, commit, commits.get(commit), Set.of()),
        List.of(missingProgram), RenderLimits.DEFAULT, clock, new SimpleMeterRegistry());

    assertThat(sources.render("team/web", "c1", OVERLAY).error()).isEqualTo("kustomize overlays/prod: the server has no kustomize program");
    now[0] = now[0].plusSeconds(5);
    assertThat(sources.render("team/web", "c1", OVERLAY).error()).as("within the pause, the error stands").isNotNull();
    now[0] = now[0].plus(RenderedSources.RETRY_AFTER);
    assertThat(sources.render("team/web", "c1", OVERLAY).error()).isNull();
    assertThat(calls).hasValue(2);
  }
}
