package dev.tether.it.gitops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.agent.gitops.Phase;
import dev.tether.agent.gitops.SyncOutcome;
import dev.tether.it.support.GitopsSetup;
import dev.tether.testkit.charts.ChartRepositoryServer;
import dev.tether.testkit.charts.ChartTools;
import dev.tether.testkit.charts.OciRegistry;
import dev.tether.testkit.charts.OciTokenService;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.WithKubernetes;
import dev.tether.testkit.tether.TetherJar;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Helm charts from chart repositories: a real repository (charts packaged and indexed by the real
 * Helm CLI, served with basic auth on loopback) and the real distribution registry (charts pushed
 * with helm push), fetched by the server and applied by a real agent on a real API server.
 */
@WithKubernetes
class HelmRepositorySourceTest {
  private static final String USER = "charts-reader";
  private static final String PASSWORD = "chart-pass-7f3a9c";

  /** A chart whose ConfigMap says which chart version rendered it and a value from the project's values file. */
  private static Path chart(Path dir, String name, String version) {
    Path chart = dir.resolve("src").resolve(name + "-" + version);
    write(chart.resolve("Chart.yaml"), "apiVersion: v2\nname: " + name + "\nversion: " + version + "\n");
    write(chart.resolve("values.yaml"), "color: red\n");
    write(chart.resolve("templates/settings.yaml"), """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: {{ .Release.Name }}-{{ .Chart.Name }}
        data:
          version: {{ .Chart.Version | quote }}
          color: {{ .Values.color | quote }}
        """);
    return chart;
  }

  private static void write(Path file, String content) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String config(TestNamespace ns, String repository, String chart, String version) {
    return "gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns + "\n"
        + "      helm:\n        repository: " + repository + "\n        chart: " + chart + "\n        version: \"" + version + "\"\n"
        + "        release_name: shop\n        values:\n          - file: values/prod.yaml\n";
  }

  private static void addCredentials(GitopsSetup setup, String url, String user, String password) {
    setup.tether.api().post("/api/v1/chart-repositories", Map.of("url", url, "username", user, "password", password));
  }

  private static String admin(GitopsSetup setup, String... args) {
    List<String> command = new ArrayList<>(List.of("admin"));
    command.addAll(List.of(args));
    command.addAll(List.of("--server-url", setup.tether.server().httpUrl(), "--admin-token-file",
        setup.tether.server().adminTokenFile().toString()));
    return TetherJar.run(command.toArray(String[]::new)).run().orThrow().stdout();
  }

  private static SyncOutcome awaitOutcome(GitopsSetup setup, Predicate<SyncOutcome> done) {
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
        assertThat(setup.agent().gitops().outcome(setup.projectId)).hasValueSatisfying(o -> assertThat(o)
            .as(o.phase() + ": " + o.message()).matches(x -> x.phase() != Phase.SYNCING && done.test(x))));
    return setup.agent().gitops().outcome(setup.projectId).orElseThrow();
  }

  private static String data(KubernetesClient client, TestNamespace ns, String name, String key) {
    var cm = client.configMaps().inNamespace(ns.name()).withName(name).get();
    return cm == null ? null : cm.getData().get(key);
  }

  private static JsonNode source(GitopsSetup setup) {
    return setup.tether.api().get("/api/v1/agents/prod/gitops").get(0).get("source");
  }

  @Test
  @DisplayName("a chart from an HTTP repository by version, then a range that resolves to the newest matching version (shown in "
      + "status), then a version published after the index was cached")
  void chartFromHttpRepository(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    ChartTools tools = ChartTools.locate(dir.resolve("helm-home"));
    try (ChartRepositoryServer repo = ChartRepositoryServer.serve(dir.resolve("repo"), tools, USER, PASSWORD);
        GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      repo.publish(chart(dir, "web", "1.0.0"));
      repo.publish(chart(dir, "web", "1.1.0"));
      repo.publish(chart(dir, "web", "2.0.0"));
      repo.publish(chart(dir, "web", "1.2.0-rc.1"));
      String commit = setup.manifests.write("values/prod.yaml", "color: blue\n").commitAndPush("Values");
      // As an operator gives them: from a file, through the CLI.
      write(dir.resolve("password"), PASSWORD + "\n");
      assertThat(admin(setup, "chart-repository", "add", repo.url(), "--username", USER, "--password-file",
          dir.resolve("password").toString())).isEqualTo("Chart repository " + repo.url() + ": credentials set (basic auth as "
          + USER + ").\n");
      setup.configure(config(ns, repo.url(), "web", "1.0.0"));
      setup.startAgent();

      SyncOutcome first = setup.awaitSync(commit);

      assertThat(first.phase()).as(first.message()).isEqualTo(Phase.SYNCED);
      assertThat(client.configMaps().inNamespace(ns.name()).withName("shop-web").get().getData())
          .as("the chart from the repository, with the values file from Git").isEqualTo(Map.of("version", "1.0.0", "color", "blue"));

      setup.configure(config(ns, repo.url(), "web", "^1.0.0"));
      await().atMost(Duration.ofSeconds(60)).until(() -> "1.1.0".equals(data(client, ns, "shop-web", "version")));
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        JsonNode source = source(setup);
        assertThat(source.get("renders").asText()).isEqualTo("web ^1.0.0 from " + repo.url() + " (release shop)");
        assertThat(source.get("resolved").asText()).as("the newest 1.x that is no prerelease")
            .isEqualTo("web 1.1.0 from " + repo.url());
      });
      assertThat(admin(setup, "status")).contains("helm web ^1.0.0 from " + repo.url() + " (release shop) [web 1.1.0 from "
          + repo.url() + "]");
      assertThat(admin(setup, "chart-repository", "list")).contains(repo.url()).contains("basic auth as " + USER)
          .doesNotContain(PASSWORD);

      repo.publish(chart(dir, "web", "1.3.0"));
      setup.configure(config(ns, repo.url(), "web", "1.3.0"));
      await("a version the cached index lacks makes the server read the index again").atMost(Duration.ofSeconds(60))
          .until(() -> "1.3.0".equals(data(client, ns, "shop-web", "version")));
      assertThat(repo.requested()).as("archives fetched once each").filteredOn(p -> p.endsWith(".tgz"))
          .containsExactly("/charts/web-1.0.0.tgz", "/charts/web-1.1.0.tgz", "/charts/web-1.3.0.tgz");
    }
  }

  @Test
  @DisplayName("a range picks up a matching version published later, with no commit, once the index is older than "
      + "--chart-recheck-interval")
  void rangePicksUpANewVersionAfterTheRecheckInterval(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client,
      TestNamespace ns) {
    ChartTools tools = ChartTools.locate(dir.resolve("helm-home"));
    try (ChartRepositoryServer repo = ChartRepositoryServer.serve(dir.resolve("repo"), tools, USER, PASSWORD);
        GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app", s -> s.withChartRecheckInterval(Duration.ofSeconds(2)))) {
      repo.publish(chart(dir, "web", "1.0.0"));
      setup.manifests.write("values/prod.yaml", "color: blue\n").commitAndPush("Values");
      addCredentials(setup, repo.url(), USER, PASSWORD);
      setup.configure(config(ns, repo.url(), "web", "^1.0.0"));
      setup.startAgent();
      await().atMost(Duration.ofSeconds(60)).until(() -> "1.0.0".equals(data(client, ns, "shop-web", "version")));

      // The default (5 minutes) would keep the cached index far longer than this test waits.
      repo.publish(chart(dir, "web", "1.1.0"));
      await("the newer matching version, without a commit").atMost(Duration.ofSeconds(45))
          .until(() -> "1.1.0".equals(data(client, ns, "shop-web", "version")));
    }
  }

  @Test
  @DisplayName("a chart from an OCI registry (the distribution registry, htpasswd auth, pushed with helm push), a range over its tags")
  void chartFromOciRegistry(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    ChartTools tools = ChartTools.locate(dir.resolve("helm-home"));
    try (OciRegistry registry = OciRegistry.start(dir.resolve("registry"), tools, USER, PASSWORD);
        GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      registry.push(chart(dir, "api", "0.4.0"), "charts");
      registry.push(chart(dir, "api", "0.5.1"), "charts");
      registry.push(chart(dir, "api", "1.0.0"), "charts");
      String commit = setup.manifests.write("values/prod.yaml", "color: green\n").commitAndPush("Values");
      // Credentials for the whole registry cover each of its repositories.
      addCredentials(setup, "oci://" + registry.host(), USER, PASSWORD);
      setup.configure(config(ns, registry.url("charts"), "api", ">=0.4, <1"));
      setup.startAgent();

      SyncOutcome synced = setup.awaitSync(commit);

      assertThat(synced.phase()).as(synced.message() + "\n" + registry.log()).isEqualTo(Phase.SYNCED);
      assertThat(client.configMaps().inNamespace(ns.name()).withName("shop-api").get().getData())
          .isEqualTo(Map.of("version", "0.5.1", "color", "green"));
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(source(setup).get("resolved").asText())
          .isEqualTo("api 0.5.1 from " + registry.url("charts")));
    }
  }

  @Test
  @DisplayName("a chart from an OCI registry that sends clients to a token service (Bearer challenge, Docker's token authentication)")
  void chartFromOciRegistryWithTokenAuthentication(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client,
      TestNamespace ns) {
    ChartTools tools = ChartTools.locate(dir.resolve("helm-home"));
    try (OciTokenService tokens = OciTokenService.start(USER, PASSWORD);
        OciRegistry registry = OciRegistry.start(dir.resolve("registry"), tools, USER, PASSWORD, tokens);
        GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      registry.push(chart(dir, "api", "2.3.4"), "team/charts");
      String commit = setup.manifests.write("values/prod.yaml", "color: teal\n").commitAndPush("Values");
      addCredentials(setup, "oci://" + registry.host(), USER, PASSWORD);
      setup.configure(config(ns, registry.url("team/charts"), "api", "2.3.4"));
      int issuedForPush = tokens.issuedScopes().size();
      setup.startAgent();

      SyncOutcome synced = setup.awaitSync(commit);

      assertThat(synced.phase()).as(synced.message() + "\n" + registry.log()).isEqualTo(Phase.SYNCED);
      assertThat(data(client, ns, "shop-api", "version")).isEqualTo("2.3.4");
      assertThat(tokens.issuedScopes().subList(issuedForPush, tokens.issuedScopes().size()))
          .as("the server asked the token service for pull access to the chart's repository once: resolving the version and "
              + "downloading the chart use one token, kept until shortly before it expires")
          .containsExactly("repository:team/charts/api:pull");

      // A new commit renders again (a new manifest request for the version) with the same token.
      String second = setup.manifests.write("values/prod.yaml", "color: olive\n").commitAndPush("New values");
      assertThat(setup.awaitSync(second).phase()).isEqualTo(Phase.SYNCED);
      assertThat(data(client, ns, "shop-api", "color")).isEqualTo("olive");
      assertThat(tokens.issuedScopes().subList(issuedForPush, tokens.issuedScopes().size())).as("no new token for the second render")
          .containsExactly("repository:team/charts/api:pull");
    }
  }

  @Test
  @DisplayName("a version not found, wrong credentials and a repository that is down apply and prune nothing and say why")
  void failedFetchesApplyAndPruneNothing(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    ChartTools tools = ChartTools.locate(dir.resolve("helm-home"));
    ChartRepositoryServer repo = ChartRepositoryServer.serve(dir.resolve("repo"), tools, USER, PASSWORD);
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      repo.publish(chart(dir, "web", "1.0.0"));
      String commit = setup.manifests.write("values/prod.yaml", "color: blue\n").commitAndPush("Values");
      addCredentials(setup, repo.url(), USER, PASSWORD);
      setup.configure(config(ns, repo.url(), "web", "1.0.0"));
      setup.startAgent();
      assertThat(setup.awaitSync(commit).phase()).isEqualTo(Phase.SYNCED);

      setup.configure(config(ns, repo.url(), "web", "^3"));
      SyncOutcome missing = awaitOutcome(setup, o -> o.phase() == Phase.FAILED);
      assertThat(missing.message()).contains("nothing applied or pruned")
          .contains("no version of chart 'web' in " + repo.url() + " matches '^3'; it has 1.0.0");
      assertThat(data(client, ns, "shop-web", "version")).as("not pruned").isEqualTo("1.0.0");
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(source(setup).get("render_error").asText())
          .contains("helm web: no version of chart 'web'"));

      // Versions the cached index lacks, so that the server asks the repository again.
      addCredentials(setup, repo.url(), USER, "wrong-password");
      setup.configure(config(ns, repo.url(), "web", "~1.5"));
      SyncOutcome unauthorized = awaitOutcome(setup, o -> o.message().contains("401"));
      assertThat(unauthorized.phase()).isEqualTo(Phase.FAILED);
      assertThat(unauthorized.message()).contains("index.yaml of chart repository " + repo.url() + ": 401 Unauthorized")
          .contains("tether admin chart-repository add").doesNotContain("wrong-password").doesNotContain(PASSWORD);
      assertThat(data(client, ns, "shop-web", "version")).as("not pruned").isEqualTo("1.0.0");

      addCredentials(setup, repo.url(), USER, PASSWORD);
      String url = repo.url();
      repo.close();
      setup.configure(config(ns, url, "web", "^4"));
      SyncOutcome down = awaitOutcome(setup, o -> o.message().contains("cannot reach"));
      assertThat(down.phase()).isEqualTo(Phase.FAILED);
      assertThat(down.message()).contains("index.yaml of chart repository " + url + ": cannot reach http://127.0.0.1:");
      assertThat(data(client, ns, "shop-web", "version")).as("not pruned").isEqualTo("1.0.0");
      assertThat(setup.tether.api().get("/api/v1/chart-repositories").toString()).doesNotContain(PASSWORD)
          .contains("basic auth as " + USER);
    } finally {
      repo.close();
    }
  }

  @Test
  @DisplayName("Chart.yaml dependencies come from their repository; packaged subcharts with '../' or too many entries are refused")
  void dependenciesAndArchiveLimits(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    ChartTools tools = ChartTools.locate(dir.resolve("helm-home"));
    try (ChartRepositoryServer repo = ChartRepositoryServer.serve(dir.resolve("repo"), tools, USER, PASSWORD);
        GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      repo.publish(chart(dir, "db", "0.1.0"));
      repo.publish(chart(dir, "db", "0.2.0"));
      addCredentials(setup, repo.url(), USER, PASSWORD);
      setup.manifests
          .write("charts/site/Chart.yaml", "apiVersion: v2\nname: site\nversion: 1.0.0\ndependencies:\n"
              + "  - name: db\n    version: \"~0.1\"\n    repository: " + repo.url() + "\n")
          .write("charts/site/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: site}\ndata: {a: b}\n");
      // A packaged subchart as helm package makes it, vendored in the project: unpacked within the archive limits.
      writeBytes(setup, "charts/site/charts/cache-0.3.0.tgz", readBytes(tools.packageChart(chart(dir, "cache", "0.3.0"), dir.resolve("pkg"))));
      String commit = setup.manifests.commitAndPush("A chart with a dependency");
      setup.configure("gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns + "\n"
          + "      helm: {chart: charts/site, release_name: shop}\n");
      setup.startAgent();

      SyncOutcome synced = setup.awaitSync(commit);

      assertThat(synced.phase()).as(synced.message()).isEqualTo(Phase.SYNCED);
      assertThat(data(client, ns, "shop-db", "version")).as("the dependency, ~0.1 resolved from the repository").isEqualTo("0.1.0");
      assertThat(data(client, ns, "site", "a")).isEqualTo("b");
      assertThat(data(client, ns, "shop-cache", "version")).as("the packaged subchart").isEqualTo("0.3.0");

      writeBytes(setup, "charts/site/charts/evil-1.0.0.tgz", tgz(Map.of("evil/Chart.yaml", "apiVersion: v2\nname: evil\nversion: 1.0.0\n",
          "evil/../../../escape.yaml", "x")));
      SyncOutcome climbing = setup.awaitSync(setup.manifests.commitAndPush("A packaged subchart that climbs out"));
      assertThat(climbing.phase()).isEqualTo(Phase.FAILED);
      assertThat(climbing.message()).contains("nothing applied or pruned")
          .contains("packaged subchart charts/site/charts/evil-1.0.0.tgz has an entry named 'evil/../../../escape.yaml', which "
              + "climbs out of the chart with '..'");
      assertThat(data(client, ns, "shop-db", "version")).as("not pruned").isEqualTo("0.1.0");

      Map<String, String> many = new java.util.LinkedHashMap<>();
      many.put("big/Chart.yaml", "apiVersion: v2\nname: big\nversion: 1.0.0\n");
      for (int i = 0; i < 5001; i++) {
        many.put("big/files/f" + i + ".txt", "x");
      }
      setup.manifests.delete("charts/site/charts/evil-1.0.0.tgz");
      writeBytes(setup, "charts/site/charts/big-1.0.0.tgz", tgz(many));
      SyncOutcome tooMany = setup.awaitSync(setup.manifests.commitAndPush("A packaged subchart with too many entries"));
      assertThat(tooMany.phase()).isEqualTo(Phase.FAILED);
      assertThat(tooMany.message()).contains("packaged subchart charts/site/charts/big-1.0.0.tgz has more than 5000 entries "
          + "(the limit on entries per chart archive)");
      assertThat(data(client, ns, "site", "a")).as("not pruned").isEqualTo("b");
    }
  }

  @Test
  @DisplayName("a chart from a repository whose Chart.yaml names a dependency it does not hold gets it as helm dependency build would")
  void repositoryChartWithDependencies(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    ChartTools tools = ChartTools.locate(dir.resolve("helm-home"));
    try (ChartRepositoryServer repo = ChartRepositoryServer.serve(dir.resolve("repo"), tools, USER, PASSWORD);
        GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      repo.publish(chart(dir, "db", "0.1.0"));
      repo.publish(chart(dir, "db", "0.2.0"));
      repo.publishArchive("site-1.0.0.tgz", tgz(Map.of(
          "site/Chart.yaml", "apiVersion: v2\nname: site\nversion: 1.0.0\ndependencies:\n"
              + "  - name: db\n    version: \"~0.2\"\n    repository: " + repo.url() + "\n",
          "site/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: site}\ndata: {a: b}\n")));
      addCredentials(setup, repo.url(), USER, PASSWORD);
      String commit = setup.manifests.write("values/prod.yaml", "color: blue\n").commitAndPush("Values");
      setup.configure(config(ns, repo.url(), "site", "1.0.0"));
      setup.startAgent();

      SyncOutcome synced = setup.awaitSync(commit);

      assertThat(synced.phase()).as(synced.message()).isEqualTo(Phase.SYNCED);
      assertThat(data(client, ns, "site", "a")).isEqualTo("b");
      assertThat(data(client, ns, "shop-db", "version")).as("the dependency, ~0.2 resolved from its repository").isEqualTo("0.2.0");
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(source(setup).get("resolved").asText())
          .isEqualTo("site 1.0.0 from " + repo.url() + ", db 0.2.0 from " + repo.url()));
    }
  }

  private static byte[] readBytes(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void writeBytes(GitopsSetup setup, String path, byte[] bytes) {
    try {
      Path file = setup.manifests.workDir().resolve(path);
      Files.createDirectories(file.getParent());
      Files.write(file, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A .tgz holding exactly these entries, names as given (helm package would refuse to make the hostile ones). */
  private static byte[] tgz(Map<String, String> files) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(bytes))) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (Map.Entry<String, String> file : files.entrySet()) {
        byte[] content = file.getValue().getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry entry = new TarArchiveEntry(file.getKey(), true);
        entry.setSize(content.length);
        tar.putArchiveEntry(entry);
        tar.write(content);
        tar.closeArchiveEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }
}
