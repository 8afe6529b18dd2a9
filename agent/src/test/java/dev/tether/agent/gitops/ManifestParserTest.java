package dev.tether.agent.gitops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.agent.gitops.ManifestParser.ManifestFile;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ManifestParserTest {
  private static ManifestFile file(String path, String content) {
    return new ManifestFile(path, content.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void readsMultiDocumentYamlJsonAndLists() {
    ManifestParser.Parsed parsed = ManifestParser.parse(List.of(
        file("app.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: one}
            data: {replicas: "3"}
            ---
            # a comment-only document is skipped
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: shop}
            spec: {replicas: 2}
            """),
        file("extra.json", "{\"apiVersion\": \"v1\", \"kind\": \"Secret\", \"metadata\": {\"name\": \"s\"}}"),
        file("list.yaml", """
            apiVersion: v1
            kind: List
            items:
              - apiVersion: v1
                kind: ServiceAccount
                metadata: {name: a}
              - apiVersion: v1
                kind: ServiceAccount
                metadata: {name: b}
            """)));

    assertThat(parsed.errors()).isEmpty();
    assertThat(parsed.objects()).extracting(o -> o.key().toString())
        .containsExactly("ConfigMap one", "apps/Deployment shop/web", "Secret s", "ServiceAccount a", "ServiceAccount b");
    DesiredObject web = parsed.objects().get(1);
    assertThat(web.document()).isEqualTo(2);
    assertThat(web.line()).isEqualTo(8);
    assertThat(web.content()).extractingByKey("spec").isEqualTo(java.util.Map.of("replicas", 2L));
    assertThat(parsed.objects().get(4).line()).isEqualTo(7);
  }

  @Test
  void everyProblemNamesFileDocumentAndLine() {
    ManifestParser.Parsed parsed = ManifestParser.parse(List.of(
        file("broken.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\nkind: ConfigMap\nmetadata: {name: x}\n"),
        file("syntax.yaml", "apiVersion: v1\nkind: [\n"),
        file("dup.yaml", "apiVersion: v1\nkind: ConfigMap\nkind: Secret\nmetadata: {name: d}\n"),
        file("gen.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: x-}\n")));

    assertThat(parsed.ok()).isFalse();
    assertThat(parsed.errors()).containsExactly(
        "broken.yaml, document 2 (line 5): 'apiVersion' is missing",
        parsed.errors().get(1),
        "dup.yaml, document 1 (line 3): duplicate key 'kind'",
        "gen.yaml, document 1 (line 1): 'metadata.name' is missing (generateName is not supported: a generated name cannot be tracked from Git)");
    assertThat(parsed.errors().get(1)).startsWith("syntax.yaml (line ");
  }

  @Test
  void aTagOnAMappingIsRefusedWithFileLineAndColumn() {
    ManifestParser.Parsed parsed = ManifestParser.parse(List.of(
        file("ok.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n"),
        file("tagged.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: fine}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: !!javax.script.ScriptEngineManager
              name: evil
            """),
        file("flow.yaml", "{apiVersion: v1, kind: ConfigMap, metadata: {name: f}, data: !custom [x]}\n")));

    assertThat(parsed.ok()).isFalse();
    assertThat(parsed.errors()).containsExactly(
        "tagged.yaml (line 7, column 11): the tag !!javax.script.ScriptEngineManager is not allowed: only the YAML core tags "
            + "!!map, !!seq, !!str, !!int, !!float, !!bool and !!null may be used; remove the tag",
        "flow.yaml (line 1, column 62): the tag !custom is not allowed: only the YAML core tags "
            + "!!map, !!seq, !!str, !!int, !!float, !!bool and !!null may be used; remove the tag");
  }

  @Test
  void aYamlProblemInAFileWithASecretQuotesNoValue() {
    ManifestParser.Parsed parsed = ManifestParser.parse(List.of(
        file("tagged.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  password: !!int hunter2-is-secret\n"),
        file("unclosed.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: u}\nstringData:\n  password: \"hunter2-is-secret\n"),
        file("dup.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: d}\ndata: {a: YQ==, a: Yg==}\n")));

    assertThat(parsed.errors()).hasSize(3).allSatisfy(error -> assertThat(error).doesNotContain("hunter2"));
    assertThat(parsed.errors().get(0)).isEqualTo(
        "tagged.yaml (line 5, column 13): *** is not a !!int value; write a whole number like 42, or remove the tag");
    assertThat(parsed.errors().get(1)).startsWith("unclosed.yaml (line ");
    assertThat(parsed.errors().get(2)).as("a key is not secret").endsWith("duplicate key 'a'");
  }

  @Test
  void aKustomizationFilePickedUpByGlobsIsNamedWithTheKeyThatRendersIt() {
    ManifestParser.Parsed parsed = ManifestParser.parse(List.of(
        file("overlays/prod/kustomization.yaml", "resources: [../../base]\nnamePrefix: prod-\n"),
        file("kustomization.yml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n"),
        file("components/x/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"),
        file("flux/kustomization.yaml", """
            apiVersion: kustomize.toolkit.fluxcd.io/v1
            kind: Kustomization
            metadata: {name: apps, namespace: flux-system}
            spec: {path: ./apps}
            """)));

    assertThat(parsed.errors()).containsExactly(
        "overlays/prod/kustomization.yaml is a Kustomize file: render it with `kustomize: {path: overlays/prod}` in its own "
            + "manifest project entry, or leave it out with paths[].exclude",
        "kustomization.yml is a Kustomize file: render it with `kustomize: {path: .}` in its own manifest project entry, or leave "
            + "it out with paths[].exclude",
        "components/x/kustomization.yaml is a Kustomize file: render it with `kustomize: {path: components/x}` in its own manifest "
            + "project entry, or leave it out with paths[].exclude");
    assertThat(parsed.objects()).as("Flux's Kustomization is an object like any other").singleElement()
        .satisfies(o -> assertThat(o.kind()).isEqualTo("Kustomization"));
  }

  @Test
  void aHelmChartPickedUpByGlobsIsNamedWithTheKeyThatRendersIt() {
    ManifestParser.Parsed parsed = ManifestParser.parse(List.of(
        file("app.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"),
        file("charts/web/Chart.yaml", "apiVersion: v2\nname: web\nversion: 1.0.0\n"),
        file("charts/web/values.yaml", "replicas: 2\n"),
        file("charts/web/templates/deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n"),
        file("charts/web/charts/db/Chart.yaml", "apiVersion: v2\nname: db\nversion: 0.1.0\n"),
        file("other/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.name }}\n"),
        file("templates/plain.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\n")));

    assertThat(parsed.errors()).containsExactly(
        "charts/web/Chart.yaml is a Helm chart: render its chart with `helm: {chart: charts/web, release_name: <name>}` in its own "
            + "manifest project entry, or leave it out with paths[].exclude: ['charts/web/**']",
        "other/templates/cm.yaml is a Helm template: render its chart with `helm: {chart: other, release_name: <name>}` in its own "
            + "manifest project entry, or leave it out with paths[].exclude: ['other/**']");
    assertThat(parsed.objects()).as("a file of templates/ without template braces is a manifest")
        .extracting(DesiredObject::name).containsExactly("a", "plain");
  }
}
