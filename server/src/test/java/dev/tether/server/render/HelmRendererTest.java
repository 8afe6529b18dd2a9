package dev.tether.server.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.common.config.HelmValues;
import dev.tether.common.config.ManifestSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real Helm, in-process: values order, subcharts, capabilities, hooks, errors and what a chart may not read. */
class HelmRendererTest {
  @TempDir Path dir;

  private static Map<String, String> chart() {
    Map<String, String> files = new LinkedHashMap<>();
    files.put("charts/web/Chart.yaml", "apiVersion: v2\nname: web\nversion: 1.0.0\n");
    files.put("charts/web/values.yaml", "color: red\nsize: small\nshape: round\n");
    files.put("charts/web/templates/cm.yaml", """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: {{ .Release.Name }}-settings
          namespace: {{ .Release.Namespace }}
        data:
          color: {{ .Values.color | quote }}
          size: {{ .Values.size | quote }}
          shape: {{ .Values.shape | quote }}
          {{- if semverCompare ">=1.30-0" .Capabilities.KubeVersion.Version }}
          branch: new
          {{- else }}
          branch: old
          {{- end }}
        """);
    files.put("charts/web/templates/test.yaml", """
        apiVersion: v1
        kind: Pod
        metadata:
          name: {{ .Release.Name }}-test
          annotations: {"helm.sh/hook": test}
        spec: {containers: [{name: t, image: busybox}]}
        """);
    files.put("charts/web/templates/migrate.yaml", """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: {{ .Release.Name }}-migrate
          annotations: {"helm.sh/hook": "pre-install,pre-upgrade"}
        """);
    files.put("charts/web/charts/db/Chart.yaml", "apiVersion: v2\nname: db\nversion: 0.1.0\n");
    files.put("charts/web/charts/db/templates/svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: {{ .Release.Name }}-db}\n"
        + "spec: {ports: [{port: 5432}]}\n");
    files.put("charts/web/crds/widgets.yaml", "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        + "metadata: {name: widgets.example.com}\n");
    files.put("values/base.yaml", "color: blue\nsize: medium\n");
    files.put("values/prod.yaml", "size: large\n");
    return files;
  }

  private String render(Map<String, String> files, Set<String> links, ManifestSource.Helm source, String kube) throws RenderException {
    HelmRenderer renderer = new HelmRenderer(dir.resolve("render"), RenderLimits.DEFAULT);
    ProjectTree tree = ProjectTree.inMemory("team/app", "c1", files, links);
    return new String(renderer.render(renderer.plan(tree, source, ClusterCapabilities.of(kube))), StandardCharsets.UTF_8);
  }

  private static ManifestSource.Helm web(HelmValues... values) {
    return new ManifestSource.Helm("charts/web", "web", "apps", List.of(values));
  }

  @Test
  void valuesApplyInOrderLaterWinsWithSubchartsAndTheClusterVersion() throws Exception {
    String out = render(chart(), Set.of(), web(new HelmValues.File("values/base.yaml"), new HelmValues.File("values/prod.yaml"),
        new HelmValues.Inline("shape: square\n")), "v1.37.2");

    assertThat(out).contains("name: web-settings").contains("namespace: apps").contains("color: \"blue\"")
        .contains("size: \"large\"").contains("shape: \"square\"").contains("branch: new").contains("name: web-db")
        .as("CRDs of crds/ are applied with the rest").contains("name: widgets.example.com");
    assertThat(out).as("hooks stay in the render; the agent runs or drops them").contains("name: web-test").contains("name: web-migrate");
    assertThat(render(chart(), Set.of(), web(), "v1.29.0")).contains("branch: old").contains("color: \"red\"");
  }

  @Test
  void capabilitiesAreInTheRenderKey() throws Exception {
    HelmRenderer renderer = new HelmRenderer(dir.resolve("render"), RenderLimits.DEFAULT);
    ProjectTree tree = ProjectTree.inMemory("team/app", "c1", chart(), Set.of());
    assertThat(renderer.plan(tree, web(), ClusterCapabilities.of("v1.37.2")).inputKey())
        .isNotEqualTo(renderer.plan(tree, web(), ClusterCapabilities.of("v1.29.0")).inputKey())
        .isEqualTo(renderer.plan(tree, web(), ClusterCapabilities.of("v1.37.2")).inputKey());
    assertThat(renderer.plan(tree, web(new HelmValues.Inline("a: 1\n")), ClusterCapabilities.NONE).inputKey())
        .isNotEqualTo(renderer.plan(tree, web(new HelmValues.Inline("a: 2\n")), ClusterCapabilities.NONE).inputKey());
  }

  @Test
  void aMissingRequiredValueNamesFileAndLineAndHidesInlineValues() {
    Map<String, String> files = chart();
    files.put("charts/web/templates/secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
        + "stringData:\n  password: {{ required (printf \"password is required (token %s)\" .Values.token) .Values.password }}\n");

    assertThatThrownBy(() -> render(files, Set.of(), web(new HelmValues.Inline("token: hunter2-secret\n")), "v1.37.2"))
        .isInstanceOf(RenderException.class)
        .hasMessageContaining("web/templates/secret.yaml:5").hasMessageContaining("password is required")
        .hasMessageNotContaining("hunter2-secret").hasMessageNotContaining("render-");
  }

  @Test
  void aTemplateSyntaxErrorNamesFileAndLine() {
    Map<String, String> files = chart();
    files.put("charts/web/templates/broken.yaml", "a: 1\nb: {{ .Values.color \n");
    assertThatThrownBy(() -> render(files, Set.of(), web(), "v1.37.2"))
        .isInstanceOf(RenderException.class).hasMessageContaining("web/templates/broken.yaml:2");
  }

  @Test
  void whatAChartMayNotReadIsRefusedByName() {
    assertThatThrownBy(() -> render(chart(), Set.of(), web(new HelmValues.File("../x.yaml")), ""))
        .hasMessageContaining("values file ../x.yaml (values[0])").hasMessageContaining("leaves the project");
    assertThatThrownBy(() -> render(chart(), Set.of("values/linked.yaml"), web(new HelmValues.File("values/linked.yaml")), ""))
        .hasMessageContaining("values file values/linked.yaml (values[0]) is a symbolic link");
    assertThatThrownBy(() -> render(chart(), Set.of("charts/web/templates/link.yaml"), web(), ""))
        .hasMessageContaining("charts/web/templates/link.yaml is a symbolic link in chart charts/web");
    Map<String, String> packaged = chart();
    packaged.put("charts/web/charts/redis-1.2.3.tgz", "not an archive");
    assertThatThrownBy(() -> render(packaged, Set.of(), web(), ""))
        .hasMessage("packaged subchart charts/web/charts/redis-1.2.3.tgz cannot be read as a gzip-compressed tar archive "
            + "(Not in GZIP format)");
    assertThatThrownBy(() -> render(chart(), Set.of(), new ManifestSource.Helm("podinfo", "web", "apps", List.of(),
        "https://charts.example.com", "^6"), "")).as("a renderer without chart repositories")
        .hasMessage("the source's chart comes from https://charts.example.com, and this server fetches no charts from repositories");
    assertThatThrownBy(() -> render(chart(), Set.of(), new ManifestSource.Helm("values", "web", "apps", List.of()), ""))
        .hasMessageContaining("values/Chart.yaml is not in project 'team/app'");
  }

  @Test
  void theOutputLimitIsNamed() {
    HelmRenderer renderer = new HelmRenderer(dir.resolve("render"), RenderLimits.DEFAULT.withMaxOutputBytes(100));
    ProjectTree tree = ProjectTree.inMemory("team/app", "c1", chart(), Set.of());
    assertThatThrownBy(() -> renderer.render(renderer.plan(tree, web(), ClusterCapabilities.NONE)))
        .hasMessageContaining("rendered more than 100 bytes (the render output limit)");
  }
}
