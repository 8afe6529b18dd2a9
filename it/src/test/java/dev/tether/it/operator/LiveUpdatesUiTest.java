package dev.tether.it.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.it.support.ApiClient;
import dev.tether.it.support.Browser;
import dev.tether.it.support.GitopsSetup;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.WithKubernetes;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;

/**
 * The source page's two ways of hearing about changes, measured in real Chromium against a real
 * server, agent and API server: polling every 2 s, and server-sent events. For each: how long after
 * a change in the cluster the page shows it (the agent reports the drift, the page re-reads), and
 * what an idle page costs per minute. The printed table is the benchmark of record (docs/operations.md);
 * the test asserts only what does not depend on the machine's speed.
 */
@WithKubernetes
class LiveUpdatesUiTest {
  private static final Path SCREENSHOTS = Path.of("target", "ui-screenshots");
  private static final int CHANGES = 6;
  private static final Duration IDLE = Duration.ofSeconds(60);

  private record Figures(String mode, List<Long> latencies, long idleRequests, long idleBytes) {
    long median() {
      List<Long> sorted = latencies.stream().sorted().toList();
      return sorted.get(sorted.size() / 2);
    }

    long max() {
      return latencies.stream().mapToLong(Long::longValue).max().orElse(0);
    }
  }

  @Test
  @DisplayName("push (server-sent events) and polling: latency from a change to the page, and the idle cost, measured")
  void pushAndPolling(@TempDir Path dir, KubeControlPlane plane, TestNamespace ns) throws Exception {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app");
        Browser browser = new Browser(dir.resolve("chromium"), SCREENSHOTS);
        KubernetesClient client = plane.newAdminClient(ns.name())) {
      StringBuilder objects = new StringBuilder(GitopsSetup.configMap("settings", "blue"));
      for (int i = 0; i < 20; i++) {
        objects.append("---\n").append(GitopsSetup.configMap("cm-" + i, "v" + i));
      }
      setup.manifests.write("objects.yaml", objects.toString());
      String commit = setup.manifests.commitAndPush("Objects");
      setup.configure("gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns + "\n      drift: report\n");
      setup.startAgent();
      setup.awaitSync(commit);
      String inventory = setup.tether.api().get("/api/v1/applications").get(0).get("inventory_id").asText();

      streamAnswersWithTicketsOnlyAndSendsHeartbeats(setup);

      browser.open(setup.tether.server().httpUrl() + "/");
      browser.await(By.id("token")).sendKeys(setup.tether.adminToken());
      browser.driver().findElement(By.id("sign-in")).click();
      browser.await(By.id("applications"));

      List<Figures> figures = new ArrayList<>();
      int[] round = {0};
      for (String mode : List.of("poll", "push")) {
        browser.script("sessionStorage.setItem('tether.live', '" + mode + "')");
        browser.open(setup.tether.server().httpUrl() + "/#/apps/prod/" + inventory);
        browser.awaitText(By.id("counts"), "21 objects");
        browser.awaitText(By.id("live"), mode.equals("push") ? "live (pushed)" : "live (polling)");

        List<Long> latencies = new ArrayList<>();
        for (int i = 0; i < CHANGES; i++) {
          // Each change is a new object changed out of band (drift: report keeps it): the count goes up by one.
          int changedObject = round[0]++;
          String expected = (changedObject + 1) + " differ from Git";
          // Date.now() in the page and System.currentTimeMillis() here read the same clock (one machine).
          browser.script("if (window.__observer) window.__observer.disconnect(); window.__seen = 0;"
              + "const expected = '" + expected + "';"
              + "const look = () => { const c = document.getElementById('counts');"
              + "  if (!window.__seen && c && c.textContent.includes(expected)) window.__seen = Date.now(); };"
              + "window.__observer = new MutationObserver(look);"
              + "window.__observer.observe(document.body, {subtree: true, childList: true, characterData: true});");
          long changed = System.currentTimeMillis();
          client.configMaps().withName("cm-" + changedObject).edit(cm -> {
            cm.getData().put("value", "changed by hand");
            return cm;
          });
          await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
              .until(() -> ((Number) browser.script("return window.__seen")).longValue() > 0);
          latencies.add(((Number) browser.script("return window.__seen")).longValue() - changed);
        }
        if (mode.equals("push")) {
          browser.screenshot("apps-12-live-pushed");
        }

        browser.script("performance.clearResourceTimings(); performance.setResourceTimingBufferSize(10000)");
        Thread.sleep(IDLE.toMillis());
        @SuppressWarnings("unchecked")
        Map<String, Number> idle = (Map<String, Number>) browser.script("const api = performance.getEntriesByType('resource')"
            + ".filter(e => e.name.includes('/api/'));"
            + "return {requests: api.length, bytes: api.reduce((sum, e) => sum + e.transferSize, 0)};");
        figures.add(new Figures(mode, latencies, idle.get("requests").longValue(), idle.get("bytes").longValue()));
      }

      System.out.println("Web UI live updates, source page of 21 objects (Chromium; machine shared with other work):");
      System.out.println("| mode | change → page, median ms | max ms | idle requests/min | idle bytes/min (HTTP, in the browser) |");
      System.out.println("|---|---|---|---|---|");
      for (Figures f : figures) {
        System.out.printf("| %s | %d | %d | %d | %d |%n", f.mode().equals("push") ? "server-sent events" : "polling every 2 s",
            f.median(), f.max(), f.idleRequests() * 60 / IDLE.toSeconds(), f.idleBytes() * 60 / IDLE.toSeconds());
        System.out.printf("   latencies of %s: %s%n", f.mode(), f.latencies());
      }
      Figures poll = figures.get(0);
      Figures push = figures.get(1);
      assertThat(poll.idleRequests()).as("polling re-reads every 2 s").isGreaterThanOrEqualTo(IDLE.toSeconds() / 2);
      // With push the idle page only re-reads on its 30 s safety timer (two reads each time), and the stream itself.
      assertThat(push.idleRequests()).as("push does not poll").isLessThanOrEqualTo(2 * (IDLE.toSeconds() / 30) + 1);
      assertThat(push.latencies()).hasSize(CHANGES);
    }
  }

  /**
   * The stream outside the browser: without a ticket 401; with one, "ready", then a heartbeat comment
   * within 15 s; a ticket opens one stream only. Also counts what an idle stream costs on the wire.
   */
  private static void streamAnswersWithTicketsOnlyAndSendsHeartbeats(GitopsSetup setup) throws Exception {
    ApiClient api = setup.tether.api();
    String base = setup.tether.server().httpUrl();
    Map<String, String> accept = Map.of("Accept", "text/event-stream");
    assertThat(api.send("GET", "/api/v1/events/stream", null, accept).status()).isEqualTo(401);
    assertThat(api.send("GET", "/api/v1/events/stream?ticket=forged.ticket", null, accept).status()).isEqualTo(401);
    String ticket = api.post("/api/v1/events/stream-tickets", Map.of()).get("ticket").asText();
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<InputStream> stream = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/events/stream?ticket=" + ticket))
        .header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(stream.statusCode()).isEqualTo(200);
    assertThat(stream.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
    assertThat(api.send("GET", "/api/v1/events/stream?ticket=" + ticket, null, accept).status()).as("used up").isEqualTo(401);
    StringBuilder received = new StringBuilder();
    CompletableFuture<Void> reading = CompletableFuture.runAsync(() -> {
      byte[] buffer = new byte[4096];
      try (InputStream in = stream.body()) {
        for (int n; (n = in.read(buffer)) >= 0; ) {
          synchronized (received) {
            received.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
          }
        }
      } catch (java.io.IOException closed) {
        // the test closes it
      }
    });
    long start = System.nanoTime();
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      synchronized (received) {
        return received.toString().contains(": keep-alive");
      }
    });
    System.out.printf("Event stream: first heartbeat after %d ms; received so far: %d bytes%n",
        (System.nanoTime() - start) / 1_000_000, received.length());
    synchronized (received) {
      assertThat(received.toString()).contains("event: ready");
    }
    // A sync now is a report: the stream says the agent changed.
    api.post("/api/v1/agents/prod/sources/" + api.get("/api/v1/applications").get(0).get("inventory_id").asText() + "/sync", Map.of());
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      synchronized (received) {
        return received.toString().contains("event: changed") && received.toString().contains("\"agent\":\"prod\"");
      }
    });
    reading.cancel(true);
    stream.body().close();
  }
}
