package dev.tether.server.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class KustomizationCheckTest {
  private static final long MAX = 1024 * 1024;

  private static ProjectTree tree(Map<String, String> files) {
    return ProjectTree.inMemory("team/web", "c0ffee", files, Set.of());
  }

  private static Map<String, String> overlay(String kustomization) {
    Map<String, String> files = new LinkedHashMap<>();
    files.put("base/kustomization.yaml", "resources: [deployment.yaml]\n");
    files.put("base/deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n");
    files.put("overlays/prod/kustomization.yaml", kustomization);
    files.put("overlays/prod/patch.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 3}\n");
    files.put("overlays/prod/app.env", "A=1\n");
    return files;
  }

  private static String refusal(String kustomization) {
    try {
      KustomizationCheck.check(tree(overlay(kustomization)), "overlays/prod", MAX);
    } catch (RenderException e) {
      return e.getMessage();
    }
    throw new AssertionError("expected a refusal of:\n" + kustomization);
  }

  @Test
  void listsTheOverlayAndEveryBaseItReaches() throws Exception {
    assertThat(KustomizationCheck.check(tree(overlay("""
        resources: [../../base]
        patches: [ { path: patch.yaml } ]
        configMapGenerator: [ { name: app, envs: [app.env], files: [conf=patch.yaml] } ]
        """)), "overlays/prod", MAX)).containsExactly("base", "overlays/prod");
  }

  @Test
  void remoteResourcesAreRefusedNamingFileAndField() {
    assertThat(refusal("resources: [../../base, 'https://github.com/org/repo//deploy?ref=v1']\n"))
        .startsWith("overlays/prod/kustomization.yaml: resources[1] 'https://github.com/org/repo//deploy?ref=v1' is a remote resource");
    assertThat(refusal("resources: ['github.com/org/repo/deploy']\n")).contains("resources[0]").contains("is a remote resource");
    assertThat(refusal("bases: ['git@github.com:org/repo.git']\n")).contains("bases[0]").contains("is a remote resource");
    assertThat(refusal("components: ['ssh://host/x']\n")).contains("components[0]").contains("remote");
  }

  @Test
  void helmChartsAreRefusedAndPointAtTheHelmPath() {
    assertThat(refusal("helmCharts: [ { name: redis, repo: 'https://charts.example.com' } ]\n"))
        .startsWith("overlays/prod/kustomization.yaml: helmCharts:").contains("Helm source");
    assertThat(refusal("helmChartInflationGenerator: [ { chartName: x } ]\n")).contains("helmChartInflationGenerator");
  }

  @Test
  void execAndContainerFunctionsAreRefused() {
    Map<String, String> files = overlay("transformers: [fn.yaml]\n");
    files.put("overlays/prod/fn.yaml", """
        apiVersion: example.com/v1
        kind: Setter
        metadata:
          name: s
          annotations:
            config.kubernetes.io/function: |
              exec:
                path: ./script.sh
        """);
    assertThatThrownBy(() -> KustomizationCheck.check(tree(files), "overlays/prod", MAX)).hasMessage(
        "overlays/prod/kustomization.yaml: transformers[0] 'fn.yaml' declares an exec KRM function (annotation "
            + "config.kubernetes.io/function); Tether does not run programs or containers that a kustomization names");

    assertThat(refusal("""
        generators:
        - |
          apiVersion: example.com/v1
          kind: Gen
          metadata:
            name: g
            annotations:
              config.kubernetes.io/function: 'container: {image: evil/gen}'
        """)).startsWith("overlays/prod/kustomization.yaml: generators[0] (inline) declares a container KRM function");
  }

  @Test
  void pathsOutsideTheProjectAreRefused() {
    assertThat(refusal("resources: [../../../elsewhere]\n")).isEqualTo("overlays/prod/kustomization.yaml: resources[0] "
        + "'../../../elsewhere' leaves the project ('..' above its root); kustomize sources read only files of their own project");
    assertThat(refusal("patches: [ { path: /etc/passwd } ]\n"))
        .startsWith("overlays/prod/kustomization.yaml: patches[0].path '/etc/passwd' is an absolute path");
    assertThat(refusal("configMapGenerator: [ { name: x, files: ['%2e%2e/%2e%2e/secret'] } ]\n"))
        .contains("configMapGenerator[0].files[0]").contains("URL-encoded");
    assertThat(refusal("resources: [\"a\\0b\"]\n")).contains("NUL");
  }

  @Test
  void symbolicLinksAreRefusedByName() {
    Map<String, String> files = overlay("resources: [../../base, secret.yaml]\n");
    ProjectTree withLink = ProjectTree.inMemory("team/web", "c0ffee", files, Set.of("overlays/prod/secret.yaml"));
    assertThatThrownBy(() -> KustomizationCheck.check(withLink, "overlays/prod", MAX))
        .hasMessageContaining("resources[1] 'secret.yaml' is a symbolic link");
  }

  @Test
  void aKustomizationThatIncludesItselfOrACycleOfBasesIsRefused() {
    assertThat(refusal("resources: [.]\n")).contains("a cycle of kustomizations (overlays/prod -> overlays/prod)");
    Map<String, String> files = overlay("resources: [../../base]\n");
    files.put("base/kustomization.yaml", "resources: [../overlays/prod]\n");
    assertThatThrownBy(() -> KustomizationCheck.check(tree(files), "overlays/prod", MAX))
        .hasMessageContaining("a cycle of kustomizations (overlays/prod -> base -> overlays/prod)");
  }

  @Test
  void aMissingBaseOrKustomizationIsNamed() {
    assertThat(refusal("resources: [missing.yaml]\n")).isEqualTo(
        "overlays/prod/kustomization.yaml: resources[0] 'missing.yaml' is not in the project at commit c0ffee");
    assertThatThrownBy(() -> KustomizationCheck.check(tree(Map.of("a.yaml", "x: 1")), ".", MAX))
        .hasMessageContaining(". holds no kustomization file");
  }
}
