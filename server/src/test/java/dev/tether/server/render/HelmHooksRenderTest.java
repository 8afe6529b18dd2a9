package dev.tether.server.render;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.common.config.HelmValues;
import dev.tether.common.config.ManifestSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * A Helm render holds the chart's hook objects, exactly as the Helm command line's {@code helm template}
 * prints them (the real Helm CLI of tools/charts, run on the same files): hooks written in templates,
 * in helpers, in values files, in inline values and in a file a template renders with {@code tpl}, in
 * the chart and in a subchart. Fails if Helm (or
 * helm-java) starts to render or sort them differently.
 */
class HelmHooksRenderTest {
  @TempDir Path dir;

  private static Map<String, String> chart() {
    Map<String, String> files = new LinkedHashMap<>();
    files.put("chart/Chart.yaml", "apiVersion: v2\nname: app\nversion: 1.0.0\n");
    files.put("chart/values.yaml", """
        jobAnnotations:
          helm.sh/hook: post-install,post-upgrade
          helm.sh/hook-delete-policy: hook-succeeded
        """);
    files.put("chart/templates/_helpers.tpl", """
        {{- define "app.preHook" -}}
        "helm.sh/hook": pre-install,pre-upgrade
        "helm.sh/hook-weight": "-5"
        {{- end -}}
        """);
    files.put("chart/templates/app.yaml", """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: {{ .Release.Name }}-settings
        data: {color: blue}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: {{ .Release.Name }}-migrate
          annotations:
            {{- include "app.preHook" . | nindent 4 }}
        data: {step: migrate}
        ---
        apiVersion: v1
        kind: Secret
        metadata:
          name: {{ .Release.Name }}-notify
          annotations:
            {{- toYaml .Values.jobAnnotations | nindent 4 }}
        stringData: {to: ops}
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: {{ .Release.Name }}-test
          annotations: {"helm.sh/hook": test}
        spec: {containers: [{name: t, image: busybox}]}
        {{- with .Values.extraHook }}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: {{ $.Release.Name }}-extra
          annotations: {{- toYaml .annotations | nindent 4 }}
        {{- end }}
        """);
    files.put("chart/templates/from-file.yaml", "{{ tpl (.Files.Get \"files/cleanup.yaml\") . }}\n");
    files.put("chart/files/cleanup.yaml", """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: {{ .Release.Name }}-cleanup
          annotations: {"helm.sh/hook": post-upgrade}
        """);
    files.put("chart/charts/db/Chart.yaml", "apiVersion: v2\nname: db\nversion: 0.1.0\n");
    files.put("chart/charts/db/templates/seed.yaml", """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: {{ .Release.Name }}-db-seed
          annotations: {"helm.sh/hook": post-install, "helm.sh/hook-weight": "3"}
        """);
    return files;
  }

  @Test
  void theRenderHoldsEveryHookAsTheHelmCommandLinePrintsThem() throws Exception {
    Map<String, String> files = chart();
    String inline = "extraHook:\n  annotations:\n    helm.sh/hook: pre-upgrade\n";
    HelmRenderer renderer = new HelmRenderer(dir.resolve("render"), RenderLimits.DEFAULT);
    ProjectTree tree = ProjectTree.inMemory("team/app", "c1", files, Set.of());
    ManifestSource.Helm source = new ManifestSource.Helm("chart", "rel", "apps", List.of(new HelmValues.Inline(inline)));
    String ours = new String(renderer.render(renderer.plan(tree, source, ClusterCapabilities.of("v1.37.2"))), StandardCharsets.UTF_8);

    assertThat(ours).doesNotContain(HelmHookRenaming.RENAMED_KEY);
    List<Map<String, Object>> objects = documents(ours);
    assertThat(objects).extracting(HelmHooksRenderTest::name)
        .containsExactlyInAnyOrder("rel-settings", "rel-migrate", "rel-notify", "rel-test", "rel-extra", "rel-db-seed", "rel-cleanup");
    assertThat(annotations(objects, "rel-migrate")).containsEntry("helm.sh/hook", "pre-install,pre-upgrade")
        .containsEntry("helm.sh/hook-weight", "-5");
    assertThat(annotations(objects, "rel-notify")).containsEntry("helm.sh/hook", "post-install,post-upgrade")
        .containsEntry("helm.sh/hook-delete-policy", "hook-succeeded");
    assertThat(annotations(objects, "rel-extra")).containsEntry("helm.sh/hook", "pre-upgrade");

    Path copy = dir.resolve("cli");
    for (Map.Entry<String, String> file : files.entrySet()) {
      Files.createDirectories(copy.resolve(file.getKey()).getParent());
      Files.writeString(copy.resolve(file.getKey()), file.getValue());
    }
    Files.writeString(copy.resolve("inline.yaml"), inline);
    String cli = helmTemplate(copy.resolve("chart"), "rel", "apps", "v1.37.2", copy.resolve("inline.yaml"));
    assertThat(sorted(objects)).as("the objects helm template prints, hooks included").isEqualTo(sorted(documents(cli)));
  }

  @Test
  void anAgentThatRunsNoHooksGetsTheChartWithoutThem() throws Exception {
    HelmRenderer renderer = new HelmRenderer(dir.resolve("render"), RenderLimits.DEFAULT);
    ProjectTree tree = ProjectTree.inMemory("team/app", "c1", chart(), Set.of());
    ManifestSource.Helm source = new ManifestSource.Helm("chart", "rel", "apps", List.of());
    String out = new String(renderer.render(renderer.plan(tree, source, ClusterCapabilities.of("v1.37.2").withoutHooks())),
        StandardCharsets.UTF_8);
    assertThat(documents(out)).extracting(HelmHooksRenderTest::name).as("an older agent would apply hooks as objects")
        .containsExactly("rel-settings");
  }

  @Test
  void onlyTemplatesAndValuesAreRenamedAndTheOutputExactlyBack() {
    byte[] data = "helm.sh/hook: x".getBytes(StandardCharsets.UTF_8);
    assertThat(new String(HelmHookRenaming.forHelm("templates/job.yaml", data), StandardCharsets.UTF_8))
        .isEqualTo(HelmHookRenaming.RENAMED_KEY + ": x");
    assertThat(new String(HelmHookRenaming.forHelm("charts/db/values.yaml", data), StandardCharsets.UTF_8))
        .isEqualTo(HelmHookRenaming.RENAMED_KEY + ": x");
    assertThat(new String(HelmHookRenaming.forHelm(null, data), StandardCharsets.UTF_8)).isEqualTo(HelmHookRenaming.RENAMED_KEY + ": x");
    assertThat(new String(HelmHookRenaming.forHelm("files/job.yaml", data), StandardCharsets.UTF_8)).as("read with .Files.Get and tpl")
        .isEqualTo(HelmHookRenaming.RENAMED_KEY + ": x");
    assertThat(HelmHookRenaming.forHelm("crds/widget.yaml", data)).as("crds/ is never templated").isSameAs(data);
    assertThat(HelmHookRenaming.forHelm("charts/db/crds/widget.yaml", data)).isSameAs(data);
    assertThat(HelmHookRenaming.forHelm("Chart.yaml", data)).isSameAs(data);
    byte[] binary = {(byte) 0xff, 'h', 'e', 'l', 'm', '.', 's', 'h', '/', 'h', 'o', 'o', 'k'};
    assertThat(HelmHookRenaming.forHelm("files/logo.png", binary)).as("not UTF-8: left as it is").isSameAs(binary);
    String text = "a: helm.sh/hook-weight\nb: helm.sh/hook-delete-policy\n";
    assertThat(HelmHookRenaming.fromHelm(HelmHookRenaming.forHelm(text))).isEqualTo(text);
  }

  @Test
  void aChartUnpackedFromAnArchiveIsRenamedByTheSameRules() throws Exception {
    Path unpacked = dir.resolve("repository");
    Map<String, String> files = Map.of("app/Chart.yaml", "description: helm.sh/hook", "app/templates/job.yaml", "helm.sh/hook: x",
        "app/crds/widget.yaml", "helm.sh/hook: x", "app/charts/db/templates/seed.yaml", "helm.sh/hook-weight: \"1\"",
        "app/charts/db/Chart.lock", "helm.sh/hook");
    for (Map.Entry<String, String> file : files.entrySet()) {
      Files.createDirectories(unpacked.resolve(file.getKey()).getParent());
      Files.writeString(unpacked.resolve(file.getKey()), file.getValue());
    }
    HelmHookRenaming.renameUnder(unpacked);
    assertThat(unpacked.resolve("app/templates/job.yaml")).hasContent(HelmHookRenaming.RENAMED_KEY + ": x");
    assertThat(unpacked.resolve("app/charts/db/templates/seed.yaml")).hasContent(HelmHookRenaming.RENAMED_KEY + "-weight: \"1\"");
    assertThat(unpacked.resolve("app/Chart.yaml")).hasContent("description: helm.sh/hook");
    assertThat(unpacked.resolve("app/crds/widget.yaml")).hasContent("helm.sh/hook: x");
    assertThat(unpacked.resolve("app/charts/db/Chart.lock")).hasContent("helm.sh/hook");
  }

  /** The real Helm command line's {@code helm template}: it prints hooks after the manifest. */
  private static String helmTemplate(Path chart, String release, String namespace, String kube, Path values) throws Exception {
    String dir = System.getProperty("tether.charts.dir", System.getenv("TETHER_CHARTS_DIR"));
    Path helm = dir == null ? null : Path.of(dir, "helm");
    assertThat(helm).as("the Helm CLI of tools/charts/build.sh: set TETHER_CHARTS_DIR to the folder it prints "
        + "(tools/test.sh does)").isNotNull();
    assertThat(Files.isExecutable(helm)).as(helm + " is executable").isTrue();
    Path home = chart.getParent().resolve("helm-home");
    ProcessBuilder builder = new ProcessBuilder(helm.toString(), "template", release, chart.toString(), "--namespace", namespace,
        "--kube-version", kube, "--values", values.toString()).redirectErrorStream(true);
    builder.environment().put("HELM_CONFIG_HOME", home.resolve("config").toString());
    builder.environment().put("HELM_CACHE_HOME", home.resolve("cache").toString());
    builder.environment().put("HELM_DATA_HOME", home.resolve("data").toString());
    Process process = builder.start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(out).isZero();
    return out;
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> documents(String yaml) {
    List<Map<String, Object>> objects = new ArrayList<>();
    for (Object document : new Load(LoadSettings.builder().build()).loadAllFromString(yaml)) {
      if (document != null) {
        objects.add((Map<String, Object>) document);
      }
    }
    return objects;
  }

  private static List<String> sorted(List<Map<String, Object>> objects) {
    return objects.stream().map(Object::toString).sorted(Comparator.naturalOrder()).toList();
  }

  @SuppressWarnings("unchecked")
  private static String name(Map<String, Object> object) {
    return String.valueOf(((Map<String, Object>) object.get("metadata")).get("name"));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> annotations(List<Map<String, Object>> objects, String name) {
    return objects.stream().filter(o -> name(o).equals(name)).findFirst()
        .map(o -> (Map<String, Object>) ((Map<String, Object>) o.get("metadata")).getOrDefault("annotations", Map.of()))
        .orElseThrow();
  }
}
