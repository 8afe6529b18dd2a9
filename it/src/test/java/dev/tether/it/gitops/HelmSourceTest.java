package dev.tether.it.gitops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.marcnuri.helm.Helm;
import dev.tether.agent.gitops.Phase;
import dev.tether.agent.gitops.SyncOutcome;
import dev.tether.it.support.GitopsSetup;
import dev.tether.testkit.k8s.AuditLog;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.WithKubernetes;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Helm chart directories as sources: rendered by the server with Helm (helm-java) for the agent's
 * cluster version, applied by the agent's engine like any manifests, refused when they reach
 * outside the project.
 */
@WithKubernetes
class HelmSourceTest {
  private static final String AGENT = "tether-agent/";

  private static String config(TestNamespace ns, String values) {
    return "gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns + "\n"
        + "      helm:\n        chart: charts/web\n        release_name: web\n        values:\n" + values;
  }

  private static final String TWO_FILES = "          - file: values/base.yaml\n          - file: values/prod.yaml\n";

  /** A chart with a vendored subchart, values the templates read, and a branch on the cluster's version. */
  private static void writeChart(GitopsSetup setup, String size) {
    setup.manifests
        .write("charts/web/Chart.yaml", "apiVersion: v2\nname: web\nversion: 1.0.0\n")
        .write("charts/web/values.yaml", "color: red\nsize: small\n")
        .write("charts/web/templates/settings.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: {{ .Release.Name }}-settings
            data:
              color: {{ .Values.color | quote }}
              size: {{ .Values.size | quote }}
              {{- if semverCompare ">=1.30-0" .Capabilities.KubeVersion.Version }}
              api: current
              {{- else }}
              api: legacy
              {{- end }}
            """)
        .write("charts/web/templates/static.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: {{ .Release.Name }}-static
            data: {greeting: hello}
            """)
        .write("charts/web/charts/db/Chart.yaml", "apiVersion: v2\nname: db\nversion: 0.1.0\n")
        .write("charts/web/charts/db/templates/service.yaml", """
            apiVersion: v1
            kind: Service
            metadata:
              name: {{ .Release.Name }}-db
            spec:
              ports: [{name: pg, port: 5432}]
            """)
        .write("values/base.yaml", "color: blue\nsize: medium\n")
        .write("values/prod.yaml", "size: " + size + "\n");
  }

  /** kind/name to object of what helm template renders of the chart in the work tree, for the same inputs. */
  private static Map<String, GenericKubernetesResource> helmTemplate(GitopsSetup setup, TestNamespace ns, String kubeVersion) {
    Path work = setup.manifests.workDir();
    String out = new Helm(work.resolve("charts/web")).template().withName("web").withNamespace(ns.name())
        .withKubeVersion(kubeVersion).withValuesFile(work.resolve("values/base.yaml")).withValuesFile(work.resolve("values/prod.yaml"))
        .call();
    Map<String, GenericKubernetesResource> objects = new TreeMap<>();
    for (String document : out.split("(?m)^---$")) {
      if (!document.isBlank()) {
        GenericKubernetesResource r = Serialization.unmarshal(document, GenericKubernetesResource.class);
        objects.put(r.getKind() + "/" + r.getMetadata().getName(), r);
      }
    }
    return objects;
  }

  @Test
  @DisplayName("a chart with two values files and a subchart syncs as helm template renders it for the cluster's version; "
      + "a values change re-applies only what it changes")
  void chartSyncsAsHelmTemplateRendersIt(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      writeChart(setup, "large");
      String commit = setup.manifests.commitAndPush("A chart");
      setup.configure(config(ns, TWO_FILES));
      setup.startAgent();

      SyncOutcome first = setup.awaitSync(commit);

      assertThat(first.phase()).as(first.message()).isEqualTo(Phase.SYNCED);
      String kubeVersion = client.getKubernetesVersion().getGitVersion();
      Map<String, GenericKubernetesResource> expected = helmTemplate(setup, ns, kubeVersion);
      assertThat(expected).containsOnlyKeys("ConfigMap/web-settings", "ConfigMap/web-static", "Service/web-db");
      assertThat(first.objects()).map(o -> o.key().kind() + "/" + o.key().name()).containsExactlyInAnyOrderElementsOf(expected.keySet());
      assertThat(first.objects()).allSatisfy(o -> assertThat(o.file()).isEqualTo("charts/web/helm-build.yaml"));
      Map<String, String> settings = client.configMaps().inNamespace(ns.name()).withName("web-settings").get().getData();
      assertThat(settings).as("chart defaults, then base.yaml, then prod.yaml: later wins")
          .isEqualTo(Map.of("color", "blue", "size", "large", "api", "current"))
          .isEqualTo(expected.get("ConfigMap/web-settings").getAdditionalProperties().get("data"));
      assertThat(client.services().inNamespace(ns.name()).withName("web-db").get().getSpec().getPorts().get(0).getPort())
          .as("the vendored subchart").isEqualTo(5432);

      AuditLog audit = new AuditLog(plane);
      long mark = audit.mark();
      writeChart(setup, "huge");
      SyncOutcome changed = setup.awaitSync(setup.manifests.commitAndPush("Huge"));

      assertThat(changed.phase()).as(changed.message()).isEqualTo(Phase.SYNCED);
      assertThat(client.configMaps().inNamespace(ns.name()).withName("web-settings").get().getData()).containsEntry("size", "huge");
      assertThat(audit.writesSince(mark, AGENT).stream().map(w -> w.path("objectRef").path("name").asText())
          .filter(name -> !name.startsWith("inventory-")).toList()).as("only the changed ConfigMap is written")
          .containsOnly("web-settings").isNotEmpty();

      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        JsonNode source = setup.tether.api().get("/api/v1/agents/prod/gitops").get(0).get("source");
        assertThat(source.get("kind").asText()).isEqualTo("helm");
        assertThat(source.get("renders").asText()).isEqualTo("charts/web (release web)");
        assertThat(source.get("render_error").isNull()).isTrue();
      });
    }
  }

  @Test
  @DisplayName("a missing required value and a template syntax error fail the sync naming file and line; nothing is applied or pruned")
  void renderErrorsApplyAndPruneNothing(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      writeChart(setup, "large");
      String commit = setup.manifests.commitAndPush("A chart");
      setup.configure(config(ns, TWO_FILES + "          - inline: {token: s3cr3t-token-value}\n"));
      setup.startAgent();
      assertThat(setup.awaitSync(commit).phase()).isEqualTo(Phase.SYNCED);

      setup.manifests.delete("charts/web/templates/static.yaml").write("charts/web/templates/secret.yaml", """
          apiVersion: v1
          kind: Secret
          metadata: {name: web-secret}
          stringData:
            password: {{ required (printf "password is required next to %s" .Values.token) .Values.password }}
          """);
      SyncOutcome missing = setup.awaitSync(setup.manifests.commitAndPush("A required value nobody set"));

      assertThat(missing.phase()).isEqualTo(Phase.FAILED);
      assertThat(missing.message()).contains("nothing applied or pruned").contains("helm charts/web: ")
          .contains("web/templates/secret.yaml:5").contains("password is required").doesNotContain("s3cr3t-token-value")
          .doesNotContain("render-");
      assertThat(client.configMaps().inNamespace(ns.name()).withName("web-static").get()).as("not pruned").isNotNull();
      assertThat(client.secrets().inNamespace(ns.name()).withName("web-secret").get()).as("not applied").isNull();

      setup.manifests.delete("charts/web/templates/secret.yaml").write("charts/web/templates/broken.yaml", "a: 1\nb: {{ .Values.color \n");
      SyncOutcome broken = setup.awaitSync(setup.manifests.commitAndPush("A template that does not parse"));

      assertThat(broken.phase()).isEqualTo(Phase.FAILED);
      assertThat(broken.message()).contains("helm charts/web: ").contains("web/templates/broken.yaml:2");
      assertThat(client.configMaps().inNamespace(ns.name()).withName("web-static").get()).as("not pruned").isNotNull();
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(setup.tether.api().get("/api/v1/agents/prod/gitops")
          .get(0).at("/source/render_error").asText()).contains("broken.yaml:2").doesNotContain("s3cr3t"));
    }
  }

  @Test
  @DisplayName("a values file '../x', a symlinked values file and a chart outside the project are refused by name")
  void whatLeavesTheProjectIsRefused(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) throws Exception {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      writeChart(setup, "large");
      Files.createSymbolicLink(setup.manifests.workDir().resolve("values/linked.yaml"), Path.of("/etc/hostname"));
      String commit = setup.manifests.commitAndPush("A chart and a link");
      setup.configure(config(ns, "          - file: values/linked.yaml\n"));
      setup.startAgent();

      SyncOutcome linked = setup.awaitSync(commit);

      assertThat(linked.phase()).isEqualTo(Phase.FAILED);
      assertThat(linked.message()).contains("helm charts/web: values file values/linked.yaml (values[0]) is a symbolic link");
      assertThat(client.configMaps().inNamespace(ns.name()).withName("web-settings").get()).as("nothing applied").isNull();

      setup.configure(config(ns, "          - file: ../x.yaml\n"));
      assertConfigRefused(setup, "gitops.manifest_projects[0].helm.values[0].file",
          "'../x.yaml' contains '..': the values file must be inside the project");
      setup.configure(config(ns, TWO_FILES).replace("chart: charts/web", "chart: ../outside"));
      assertConfigRefused(setup, "gitops.manifest_projects[0].helm.chart", "'../outside' contains '..': the directory must be inside the project");
    }
  }

  private static void assertConfigRefused(GitopsSetup setup, String path, String message) {
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      JsonNode state = setup.tether.api().get("/api/v1/agents/prod/config").get("state");
      assertThat(state.get("state").asText()).isEqualTo("invalid");
      assertThat(state.at("/errors/0/path").asText()).isEqualTo(path);
      assertThat(state.at("/errors/0/message").asText()).isEqualTo(message);
    });
  }

  @Test
  @DisplayName("a GitLab-format gitops.charts entry syncs")
  void gitLabChartsEntrySyncs(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      writeChart(setup, "large");
      String commit = setup.manifests.commitAndPush("A chart");
      setup.configure("""
          gitops:
            charts:
              - release_name: shop
                source:
                  project:
                    id: team/app
                    path: charts/web
                namespace: %s
                max_history: 1
                values:
                  - inline:
                      color: green
          """.formatted(ns));
      setup.startAgent();

      SyncOutcome synced = setup.awaitSync(commit);

      assertThat(synced.phase()).as(synced.message()).isEqualTo(Phase.SYNCED);
      assertThat(client.configMaps().inNamespace(ns.name()).withName("shop-settings").get().getData())
          .containsEntry("color", "green").containsEntry("size", "small");
      assertThat(client.services().inNamespace(ns.name()).withName("shop-db").get()).isNotNull();
    }
  }
}
