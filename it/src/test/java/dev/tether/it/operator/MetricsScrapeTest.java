package dev.tether.it.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.it.support.GitopsSetup;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.WithKubernetes;
import dev.tether.testkit.metrics.PrometheusText;
import dev.tether.testkit.process.ExternalCommand;
import dev.tether.testkit.tether.TetherJar;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Prometheus scrapes the server and the agent: every meter the operator issue lists moves with real work. */
@WithKubernetes
class MetricsScrapeTest {

  @Test
  @DisplayName("/metrics on the server and the agent count connections, config reads, fetches, syncs, objects and proxy requests")
  void scrapeBoth(@TempDir Path dir, KubeControlPlane plane, TestNamespace ns) throws Exception {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      setup.manifests.write("manifests/a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n");
      setup.manifests.write("manifests/b.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  k: v\n");
      String first = setup.manifests.commitAndPush("Two objects");
      setup.configure("gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns + "\n"
          + "ci_access:\n  projects:\n    - id: team/app\n");
      setup.startAgent(true);
      assertThat(setup.awaitSync(first).phase()).isEqualTo(dev.tether.agent.gitops.Phase.SYNCED);
      setup.manifests.delete("manifests/b.yaml");
      String second = setup.manifests.commitAndPush("Drop b");
      assertThat(setup.awaitSync(second).count(dev.tether.agent.gitops.Action.PRUNED)).isEqualTo(1);

      // One proxied request that works and one that is refused.
      JsonNode token = setup.tether.api().post("/api/v1/access-tokens", Map.of("project", "team/app"));
      Path tokenFile = Files.writeString(dir.resolve("ci.token"), token.get("secret").asText() + "\n");
      Path kubeconfig = dir.resolve("ci.kubeconfig");
      TetherJar.run("kubeconfig", "--agent", "prod", "--token-file", tokenFile.toString(), "--server",
          setup.tether.server().kubeProxyUrl(), "--ca-file", setup.tether.caFile().toString(), "--out", kubeconfig.toString())
          .run().orThrow();
      ExternalCommand.of(plane.binaries().kubectl().toString(), "--kubeconfig", kubeconfig.toString(), "get", "configmaps",
          "-n", ns.name()).timeout(Duration.ofMinutes(1)).run().orThrow();
      HttpRequest refused = HttpRequest.newBuilder(URI.create(setup.tether.server().kubeProxyUrl() + "/api/v1/namespaces"))
          .header("Authorization", "Bearer not-a-token").build();
      HttpClient insecure = HttpClient.newBuilder().sslContext(trusting(setup.tether.caFile())).build();
      assertThat(insecure.send(refused, HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(401);

      String serverUrl = setup.tether.server().httpUrl() + "/metrics";
      // Reports reach the server a moment after the agent finished.
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(PrometheusText.scrape(serverUrl).sum("tether_syncs_total", "result", "synced")).isGreaterThanOrEqualTo(2));
      PrometheusText server = PrometheusText.scrape(serverUrl);
      assertThat(server.sum("tether_agent_connections")).isEqualTo(1);
      assertThat(server.sum("tether_config_reads_total", "result", "valid")).isGreaterThanOrEqualTo(1);
      assertThat(server.sum("tether_git_fetch_seconds_count", "result", "ok")).isGreaterThanOrEqualTo(2);
      assertThat(server.sum("tether_sync_duration_seconds_count")).isGreaterThanOrEqualTo(2);
      assertThat(server.sum("tether_sync_duration_seconds_bucket", "le", "+Inf")).isGreaterThanOrEqualTo(2);
      assertThat(server.sum("tether_sync_objects_total", "action", "applied")).isGreaterThanOrEqualTo(2);
      assertThat(server.sum("tether_sync_objects_total", "action", "pruned")).isEqualTo(1);
      assertThat(server.sum("tether_proxy_requests_seconds_count", "method", "GET", "code", "200")).isGreaterThanOrEqualTo(1);
      assertThat(server.sum("tether_proxy_requests_seconds_count", "code", "401")).isEqualTo(1);
      assertThat(server.sum("jvm_memory_used_bytes")).isPositive();

      String agentBase = "http://127.0.0.1:" + setup.agent().metricsPort().orElseThrow();
      PrometheusText agent = PrometheusText.scrape(agentBase + "/metrics");
      assertThat(agent.sum("tether_agent_connected")).isEqualTo(1);
      assertThat(agent.sum("tether_agent_config_updates_total", "result", "applied")).isGreaterThanOrEqualTo(1);
      assertThat(agent.sum("tether_agent_syncs_total", "result", "synced")).isGreaterThanOrEqualTo(2);
      assertThat(agent.sum("tether_agent_sync_duration_seconds_count")).isGreaterThanOrEqualTo(2);
      assertThat(agent.sum("tether_agent_sync_objects_total", "action", "applied")).isGreaterThanOrEqualTo(2);
      assertThat(agent.sum("tether_agent_sync_objects_total", "action", "pruned")).isEqualTo(1);
      assertThat(agent.sum("tether_agent_proxy_requests_seconds_count", "method", "GET", "code", "200")).isGreaterThanOrEqualTo(1);
      assertThat(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(agentBase + "/readyz")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);

      // An invalid config is counted as such.
      setup.configure("gitops: [not, a, map]\n");
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(PrometheusText.scrape(serverUrl)
          .sum("tether_config_reads_total", "result", "invalid")).isEqualTo(1));
    }
  }

  private static javax.net.ssl.SSLContext trusting(Path caFile) throws Exception {
    java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (var in = Files.newInputStream(caFile)) {
      trust.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    javax.net.ssl.TrustManagerFactory factory = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
    factory.init(trust);
    javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
    context.init(null, factory.getTrustManagers(), null);
    return context;
  }
}
