package dev.tether.common.config;

import static dev.tether.common.config.ConfigTexts.errorsOf;
import static dev.tether.common.config.ConfigTexts.parse;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code kustomize} source key and {@code paths[].exclude}. */
class ManifestSourceConfigTest {
  private static final String FILE = ConfigTexts.FILE;


  @Test
  void aKustomizeEntryKeepsEveryEngineKey() throws Exception {
    ManifestProject p = parse("""
        gitops:
          manifest_projects:
            - id: group/app
              kustomize: { path: ./overlays/prod/ }
              default_namespace: apps
              prune_when_empty: true
              dry_run_strategy: server
        """).gitops().manifestProjects().get(0);

    assertThat(p.source()).isEqualTo(new ManifestSource.Kustomize("overlays/prod"));
    assertThat(p.source().kind()).isEqualTo(ManifestSource.Kind.KUSTOMIZE);
    assertThat(p.globs()).isEmpty();
    assertThat(p.defaultNamespace()).isEqualTo("apps");
    assertThat(p.pruneWhenEmpty()).isTrue();
    assertThat(p.dryRunStrategy()).isEqualTo(ManifestProject.DryRunStrategy.SERVER);
  }

  @Test
  void pathsAndKustomizeTogetherAreRefusedAtTheKustomizeKey() {
    assertThat(errorsOf("""
        gitops:
          manifest_projects:
            - id: group/app
              paths: [ { glob: '*.yaml' } ]
              kustomize: { path: overlays/prod }
        """)).singleElement().satisfies(e -> {
          assertThat(e.toString()).startsWith(FILE + ":5:18: gitops.manifest_projects[0].kustomize: give either 'paths'");
          assertThat(e.message()).contains("not both");
        });
  }

  @Test
  void anOverlayPathMustStayInsideTheProject() {
    assertThat(errorsOf("gitops: { manifest_projects: [ { id: a, kustomize: { path: ../other } } ] }"))
        .singleElement().satisfies(e -> {
          assertThat(e.path()).isEqualTo("gitops.manifest_projects[0].kustomize.path");
          assertThat(e.message()).contains("'..'");
        });
    assertThat(errorsOf("gitops: { manifest_projects: [ { id: a, kustomize: { path: /etc } } ] }"))
        .singleElement().satisfies(e -> assertThat(e.message()).contains("is absolute"));
    assertThat(errorsOf("gitops: { manifest_projects: [ { id: a, kustomize: { path: '%2e%2e/x' } } ] }"))
        .singleElement().satisfies(e -> assertThat(e.message()).contains("URL-encoded"));
    assertThat(errorsOf("gitops: { manifest_projects: [ { id: a, kustomize: { path: 'https://github.com/x/y' } } ] }"))
        .singleElement().satisfies(e -> assertThat(e.message()).contains("is a URL"));
    assertThat(errorsOf("gitops: { manifest_projects: [ { id: a, kustomize: {} } ] }"))
        .singleElement().satisfies(e -> assertThat(e.message()).contains("'path' is required"));
  }

  @Test
  void aRawEntryAndAnOverlayOfOneProjectKeepApartInventories() throws Exception {
    List<ManifestProject> entries = parse("""
        gitops:
          manifest_projects:
            - id: group/app
            - id: group/app
              kustomize: { path: overlays/prod }
            - id: group/app
              kustomize: { path: overlays/staging }
            - id: group/app
              kustomize: { path: . }
        """).gitops().manifestProjects();

    assertThat(entries).extracting(p -> p.inventoryIdFor("prod")).containsExactly("prod-group.app",
        "prod-group.app-overlays.prod", "prod-group.app-overlays.staging", "prod-group.app-kustomize");
  }

  @Test
  void oneOverlayListedTwiceSharesItsInventoryAndIsRefused() {
    assertThat(errorsOf("gitops: { manifest_projects: [ { id: a, kustomize: { path: o } }, { id: a, kustomize: { path: o/ } } ] }"))
        .singleElement().satisfies(e -> assertThat(e.message()).contains("shares its inventory with entry 0"));
  }

  @Test
  void excludeLeavesFilesOutOfAGlob() throws Exception {
    ManifestProject p = parse("""
        gitops:
          manifest_projects:
            - id: group/app
              paths:
                - glob: '**/*.yaml'
                  exclude: ['**/kustomization.yaml', 'tests/**']
                - glob: 'crds/*.json'
        """).gitops().manifestProjects().get(0);

    assertThat(p.source()).isEqualTo(new ManifestSource.Raw(List.of(
        new ManifestPath("**/*.yaml", List.of("**/kustomization.yaml", "tests/**")), ManifestPath.of("crds/*.json"))));
    assertThat(p.globs()).containsExactly("**/*.yaml", "crds/*.json");
  }

  @Test
  void anExcludeGlobIsCheckedLikeAGlob() {
    assertThat(errorsOf("gitops: { manifest_projects: [ { id: a, paths: [ { glob: '*.yaml', exclude: ['../x'] } ] } ] }"))
        .singleElement().satisfies(e -> {
          assertThat(e.path()).isEqualTo("gitops.manifest_projects[0].paths[0].exclude[0]");
          assertThat(e.message()).contains("'..'");
        });
  }
}
