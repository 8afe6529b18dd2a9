package dev.tether.common.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.common.gitops.SourceMessages;
import dev.tether.proto.v1.ManifestsRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code helm} source key of a manifest project entry, and GitLab's {@code gitops.charts} entries. */
class HelmSourceConfigTest {
  private static final String FILE = ".gitlab/agents/prod/config.yaml";

  private static AgentConfig parse(String yaml) throws InvalidConfigException {
    return ConfigParser.parse("prod", FILE, yaml.getBytes(StandardCharsets.UTF_8));
  }

  private static List<String> errorsOf(String yaml) {
    try {
      parse(yaml);
    } catch (InvalidConfigException e) {
      return e.errors().stream().map(ConfigError::toString).toList();
    }
    throw new AssertionError("expected the config to be rejected:\n" + yaml);
  }

  @Test
  void aHelmEntryKeepsItsValuesInOrderAndEveryEngineKey() throws Exception {
    ManifestProject p = parse("""
        gitops:
          manifest_projects:
            - id: group/app
              default_namespace: apps
              prune: false
              inventory_policy: adopt_all
              helm:
                chart: ./charts/web/
                release_name: web
                values:
                  - file: values/base.yaml
                  - inline: { replicaCount: 2, image: { tag: "1.27" } }
                  - file: values/prod.yaml
        """).gitops().manifestProjects().get(0);

    assertThat(p.source()).isEqualTo(new ManifestSource.Helm("charts/web", "web", "apps", List.of(
        new HelmValues.File("values/base.yaml"), new HelmValues.Inline("replicaCount: 2\nimage:\n  tag: '1.27'\n"),
        new HelmValues.File("values/prod.yaml"))));
    assertThat(p.source().kind()).isEqualTo(ManifestSource.Kind.HELM);
    assertThat(p.source().summary()).isEqualTo("charts/web (release web)");
    assertThat(p.prune()).isFalse();
    assertThat(p.inventoryPolicy()).isEqualTo(ManifestProject.InventoryPolicy.ADOPT_ALL);
    assertThat(p.source().toString()).as("values never printed").doesNotContain("1.27");
    assertThat(SourceMessages.source(SourceMessages.describe(ManifestsRequest.newBuilder(), p.source()).build()))
        .as("the request names the same source").isEqualTo(p.source());
  }

  @Test
  void theNamespaceKeyOverridesTheDefaultNamespace() throws Exception {
    ManifestProject p = parse("""
        gitops:
          manifest_projects:
            - id: group/app
              helm: { chart: charts/web, release_name: web, namespace: web }
        """).gitops().manifestProjects().get(0);
    assertThat(((ManifestSource.Helm) p.source()).namespace()).isEqualTo("web");
  }

  @Test
  void aGitLabChartsEntryBecomesTheSameSource() throws Exception {
    AgentConfig config = parse("""
        gitops:
          charts:
            - release_name: my-release
              source:
                project:
                  id: my-group/my-charts
                  path: charts/the-chart
              namespace: web
              max_history: 3
              values:
                - inline:
                    tag: v15.5.1
                    rbac: { create: true }
        """);
    ManifestProject p = config.gitops().manifestProjects().get(0);
    assertThat(p.id()).isEqualTo("my-group/my-charts");
    assertThat(p.defaultNamespace()).isEqualTo("web");
    assertThat(p.source()).isEqualTo(new ManifestSource.Helm("charts/the-chart", "my-release", "web",
        List.of(new HelmValues.Inline("tag: v15.5.1\nrbac:\n  create: true\n"))));
    assertThat(p.prune()).isTrue();
  }

  @Test
  void mistakesAreRefusedWithFileLineAndColumn() {
    assertThat(errorsOf("""
        gitops:
          manifest_projects:
            - id: group/app
              helm:
                chart: ../outside
                release_name: Web_1
                values:
                  - file: /etc/passwd
                  - { file: a.yaml, inline: {a: 1} }
                  - inline: secret-text
              kustomize: { path: . }
        """)).containsExactly(
        FILE + ":5:9: gitops.manifest_projects[0].helm: give one of 'paths', 'kustomize' or 'helm', not 'helm' and 'kustomize'; "
            + "to apply both, list the project twice",
        FILE + ":5:16: gitops.manifest_projects[0].helm.chart: '../outside' contains '..': the directory must be inside the project",
        FILE + ":6:23: gitops.manifest_projects[0].helm.release_name: 'Web_1' is not valid: a Helm release name: lowercase letters, "
            + "digits, '-' and '.', starting and ending with a letter or digit, at most 53 characters",
        FILE + ":8:19: gitops.manifest_projects[0].helm.values[0].file: '/etc/passwd' is absolute; name the values file relative "
            + "to the root of the project",
        FILE + ":9:13: gitops.manifest_projects[0].helm.values[1]: give exactly one of inline or file per item, not both; list them as "
            + "two items (later wins)",
        FILE + ":10:21: gitops.manifest_projects[0].helm.values[2].inline: must be a map of values, like inline: {replicaCount: 2}");
    assertThat(errorsOf("""
        gitops:
          charts:
            - release_name: web
              source: { project: { path: chart } }
        """)).containsExactly(FILE + ":4:26: gitops.charts[0].source.project: 'id' is required: the project that holds the chart, "
        + "like id: group/charts");
  }

  @Test
  void aChartFromARepositoryKeepsItsUrlNameAndRangeAndTravelsInTheRequest() throws Exception {
    ManifestProject p = parse("""
        gitops:
          manifest_projects:
            - id: group/app
              default_namespace: apps
              helm:
                repository: https://charts.example.com/stable/
                chart: podinfo
                version: ">=6.5.0, <7"
                release_name: web
                values: [{file: values/prod.yaml}]
        """).gitops().manifestProjects().get(0);

    ManifestSource.Helm helm = (ManifestSource.Helm) p.source();
    assertThat(helm).isEqualTo(new ManifestSource.Helm("podinfo", "web", "apps", List.of(new HelmValues.File("values/prod.yaml")),
        "https://charts.example.com/stable", ">=6.5.0, <7"));
    assertThat(helm.fromRepository()).isTrue();
    assertThat(helm.summary()).isEqualTo("podinfo >=6.5.0, <7 from https://charts.example.com/stable (release web)");
    assertThat(SourceMessages.source(SourceMessages.describe(ManifestsRequest.newBuilder(), helm).build())).isEqualTo(helm);
    ManifestSource.Helm oci = (ManifestSource.Helm) parse("""
        gitops:
          manifest_projects:
            - id: group/app
              helm: {repository: "oci://registry.example.com/charts", chart: podinfo, version: 6.5.2, release_name: web}
        """).gitops().manifestProjects().get(0).source();
    assertThat(oci.repository()).isEqualTo("oci://registry.example.com/charts");
    assertThat(oci.version()).isEqualTo("6.5.2");
  }

  @Test
  void repositoryKeysAreCheckedWithTheirLine() {
    assertThat(errorsOf("""
        gitops:
          manifest_projects:
            - id: group/app
              helm:
                repository: https://deploy:hunter2@charts.example.com
                chart: podinfo
                version: ^6
                release_name: web
            - id: group/app2
              helm:
                repository: ftp://charts.example.com
                chart: sub/podinfo
                version: latest
                release_name: web
            - id: group/app3
              helm: {repository: https://charts.example.com, chart: podinfo, release_name: web}
            - id: group/app4
              helm: {chart: charts/web, version: 1.0.0, release_name: web}
        """)).satisfiesExactly(
        e -> assertThat(e).startsWith(FILE + ":5:21").contains("holds credentials").contains("tether admin chart-repository add")
            .doesNotContain("hunter2"),
        e -> assertThat(e).contains(":11:21").contains("is not a chart repository URL"),
        e -> assertThat(e).contains(":12:16").contains("a chart name"),
        e -> assertThat(e).contains(":13:18").contains("'latest' is not a version"),
        e -> assertThat(e).contains(":16:13").contains("'version' is required with 'repository'"),
        e -> assertThat(e).contains(":18:42").contains("'version' applies to a chart from a repository"));
  }
}
