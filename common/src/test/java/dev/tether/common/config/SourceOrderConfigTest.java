package dev.tether.common.config;

import static dev.tether.common.config.ConfigTexts.errorsOf;
import static dev.tether.common.config.ConfigTexts.parse;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code name} and {@code depends_on} of manifest project entries: defaults, and each error at its place. */
class SourceOrderConfigTest {
  private static final String FILE = ConfigTexts.FILE;

  @Test
  void anEntryIsNamedByItsProjectIdUnlessItHasAName() throws Exception {
    List<ManifestProject> projects = parse("""
        gitops:
          manifest_projects:
            - id: group/infra
            - id: group/app
              name: app
              depends_on: [group/infra]
          charts:
            - release_name: web
              source: { project: { id: group/charts } }
        """).gitops().manifestProjects();

    assertThat(projects).extracting(ManifestProject::name).containsExactly("group/infra", "app", "web");
    assertThat(projects.get(0).dependsOn()).isEmpty();
    assertThat(projects.get(1).dependsOn()).containsExactly("group/infra");
  }

  @Test
  void aCycleIsRefusedAtTheItemThatClosesIt() {
    assertThat(errorsOf("""
        gitops:
          manifest_projects:
            - id: group/a
              depends_on: [group/b]
            - id: group/b
              depends_on:
                - group/c
            - id: group/c
              depends_on: [group/a]
        """)).singleElement().satisfies(e -> {
          assertThat(e.toString()).startsWith(FILE + ":9:20: gitops.manifest_projects[2].depends_on[0]: depends_on forms a cycle: "
              + "group/a -> group/b -> group/c -> group/a");
          assertThat(e.message()).contains("Remove one of these depends_on items");
        });
  }

  @Test
  void anUnknownNameAndTheEntryItselfAreRefused() {
    assertThat(errorsOf("""
        gitops:
          manifest_projects:
            - id: group/a
              name: a
              depends_on: [b, a]
        """)).extracting(ConfigError::toString).containsExactly(
            FILE + ":5:20: gitops.manifest_projects[0].depends_on[0]: no entry of this agent is named 'b'; the names are a "
                + "(an entry's 'name', else its project id)",
            FILE + ":5:23: gitops.manifest_projects[0].depends_on[1]: 'a' is this entry itself; an entry cannot wait for itself");
  }

  @Test
  void aNameOfTwoEntriesCannotBeDependedOnAndAGivenNameMustBeUnique() {
    assertThat(errorsOf("""
        gitops:
          manifest_projects:
            - id: group/a
            - id: group/a
              kustomize: { path: overlays/prod }
            - id: group/b
              depends_on: [group/a]
        """)).singleElement().satisfies(e -> {
          assertThat(e.path()).isEqualTo("gitops.manifest_projects[2].depends_on[0]");
          assertThat(e.message()).isEqualTo("'group/a' names gitops.manifest_projects[0] and gitops.manifest_projects[1]; "
              + "give each of them a 'name' and depend on that");
        });
    assertThat(errorsOf("""
        gitops:
          manifest_projects:
            - id: group/a
              name: web
            - id: group/b
              name: web
        """)).extracting(ConfigError::path)
        .containsExactly("gitops.manifest_projects[0].name", "gitops.manifest_projects[1].name");
  }
}
