package dev.tether.common.config;

import static dev.tether.common.config.ConfigTexts.errorsOf;
import static dev.tether.common.config.ConfigTexts.parse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.common.config.ManifestProject.DryRunStrategy;
import dev.tether.common.config.ManifestProject.InventoryPolicy;
import dev.tether.common.config.ManifestProject.PropagationPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigParserTest {
  private static final String FILE = ConfigTexts.FILE;


  @Test
  void readsTheDesignExample() throws Exception {
    AgentConfig config = parse("""
        gitops:
          manifest_projects:
            - id: group/app
              ref: { branch: main }
              default_namespace: apps
              paths:
                - glob: 'manifests/**/*.{yaml,yml,json}'
              reconcile_timeout: 3600s
              dry_run_strategy: server
              prune: true
              prune_timeout: 10m
              prune_propagation_policy: background
              inventory_policy: adopt_if_no_inventory
        ci_access:
          projects: [ { id: group/app, access_as: { agent: {} } } ]
          groups:
            - id: group
              access_as:
                impersonate:
                  username: deployer
                  groups: [ops]
                  extra: [ { key: team, val: [platform] } ]
        user_access:
          access_as: { user: {} }
          projects: [ { id: group/app } ]
        observability:
          logging: { level: debug }
        """);

    ManifestProject project = config.gitops().manifestProjects().get(0);
    assertThat(project.id()).isEqualTo("group/app");
    assertThat(project.ref()).isEqualTo(new GitRef(GitRef.Kind.BRANCH, "main"));
    assertThat(project.defaultNamespace()).isEqualTo("apps");
    assertThat(project.globs()).containsExactly("manifests/**/*.{yaml,yml,json}");
    assertThat(project.reconcileTimeout()).isEqualTo(Duration.ofHours(1));
    assertThat(project.dryRunStrategy()).isEqualTo(DryRunStrategy.SERVER);
    assertThat(project.pruneTimeout()).isEqualTo(Duration.ofMinutes(10));
    assertThat(project.prunePropagationPolicy()).isEqualTo(PropagationPolicy.BACKGROUND);
    assertThat(project.inventoryPolicy()).isEqualTo(InventoryPolicy.ADOPT_IF_NO_INVENTORY);
    assertThat(config.ciAccess().projects().get(0).accessAs()).isEqualTo(new AccessAs.Agent());
    assertThat(config.ciAccess().groups().get(0).accessAs())
        .isEqualTo(new AccessAs.Impersonate("deployer", "", List.of("ops"), Map.of("team", List.of("platform"))));
    assertThat(config.userAccess().accessAs()).isEqualTo(new AccessAs.User());
    assertThat(config.userAccess().projects()).containsExactly("group/app");
    assertThat(config.observability().loggingLevel()).isEqualTo(Observability.LogLevel.DEBUG);
  }

  @Test
  void fillsInTheDefaults() throws Exception {
    ManifestProject project = parse("gitops: { manifest_projects: [ { id: app } ] }").gitops().manifestProjects().get(0);

    assertThat(project.ref()).isEqualTo(GitRef.defaultBranch());
    assertThat(project.defaultNamespace()).isEqualTo("default");
    assertThat(project.globs()).containsExactly("/**/*.{yaml,yml,json}");
    assertThat(project.reconcileTimeout()).as("Kubernetes' Deployment progress deadline, not the GitLab agent's hour")
        .isEqualTo(Duration.ofMinutes(10));
    assertThat(project.dryRunStrategy()).isEqualTo(DryRunStrategy.NONE);
    assertThat(project.prune()).isTrue();
    assertThat(project.prunePropagationPolicy()).isEqualTo(PropagationPolicy.FOREGROUND);
    assertThat(project.inventoryPolicy()).isEqualTo(InventoryPolicy.MUST_MATCH);
    assertThat(project.inventoryId()).isEmpty();
    assertThat(project.drift()).isEqualTo(ManifestProject.Drift.CORRECT);
    assertThat(project.resyncInterval()).isEqualTo(Duration.ofMinutes(10));
    assertThat(project.fieldManager()).isEqualTo("tether");
    assertThat(project.forceConflicts()).isTrue();
    assertThat(project.pruneWhenEmpty()).isFalse();
  }

  @Test
  void readsTethersOwnGitopsKeys() throws Exception {
    ManifestProject project = parse("""
        gitops:
          manifest_projects:
            - id: app
              inventory_id: 42-1234
              drift: report
              resync_interval: 5m
              field_manager: platform-team
              force_conflicts: false
              prune_when_empty: true
        """).gitops().manifestProjects().get(0);

    assertThat(project.inventoryId()).isEqualTo("42-1234");
    assertThat(project.drift()).isEqualTo(ManifestProject.Drift.REPORT);
    assertThat(project.resyncInterval()).isEqualTo(Duration.ofMinutes(5));
    assertThat(project.fieldManager()).isEqualTo("platform-team");
    assertThat(project.forceConflicts()).isFalse();
    assertThat(project.pruneWhenEmpty()).isTrue();
    assertThat(errorsOf("gitops: { manifest_projects: [ { id: app, inventory_id: 'not valid!' } ] }")).singleElement()
        .satisfies(e -> assertThat(e.message()).contains("label value"));
  }

  @Test
  void emptyFileAndCommentsOnlyMeanTheEmptyConfig() throws Exception {
    assertThat(parse("")).isEqualTo(AgentConfig.empty());
    assertThat(parse("# nothing yet\n")).isEqualTo(AgentConfig.empty());
  }

  @Test
  void unknownKeyIsNamedWithItsPositionAndTheKnownKeys() {
    List<ConfigError> errors = errorsOf("""
        gitops:
          manifest_projects:
            - id: app
              prunee: false
        """);

    assertThat(errors).hasSize(1);
    ConfigError error = errors.get(0);
    assertThat(error.file()).isEqualTo(FILE);
    assertThat(error.line()).isEqualTo(4);
    assertThat(error.column()).isEqualTo(7);
    assertThat(error.path()).isEqualTo("gitops.manifest_projects[0].prunee");
    assertThat(error.message()).contains("unknown key 'prunee'").contains("prune,");
    assertThat(error.toString()).startsWith(FILE + ":4:7: gitops.manifest_projects[0].prunee: unknown key");
  }

  @Test
  void wrongTypesAndBadValuesAreAllReported() {
    List<ConfigError> errors = errorsOf("""
        gitops:
          manifest_projects:
            - id: app
              prune: "yes please"
              reconcile_timeout: forever
              inventory_policy: take_everything
              default_namespace: Not_A_Namespace
              ref: { branch: main, tag: v1 }
        observability: [debug]
        """);

    assertThat(errors).extracting(ConfigError::path).containsExactlyInAnyOrder(
        "gitops.manifest_projects[0].prune",
        "gitops.manifest_projects[0].reconcile_timeout",
        "gitops.manifest_projects[0].inventory_policy",
        "gitops.manifest_projects[0].default_namespace",
        "gitops.manifest_projects[0].ref",
        "observability");
    assertThat(errors).extracting(ConfigError::message).anySatisfy(m -> assertThat(m).contains("expected true or false, found the text 'yes please'"))
        .anySatisfy(m -> assertThat(m).contains("'take_everything' is not one of: must_match, adopt_if_no_inventory, adopt_all"))
        .anySatisfy(m -> assertThat(m).contains("'forever' is not a duration"))
        .anySatisfy(m -> assertThat(m).contains("not branch and tag"))
        .anySatisfy(m -> assertThat(m).contains("expected a mapping (key: value), found a list"));
  }

  @Test
  void durationsOutsideTheirRangeAreRefusedRatherThanWrapped() {
    List<ConfigError> errors = errorsOf("""
        gitops:
          manifest_projects:
            - id: app
              reconcile_timeout: 10000h
              prune_timeout: 99999999999h
              resync_interval: 500ms
        """);

    assertThat(errors).extracting(ConfigError::path, ConfigError::message).containsExactlyInAnyOrder(
        tuple("gitops.manifest_projects[0].reconcile_timeout", "duration must be at most 8760h"),
        tuple("gitops.manifest_projects[0].prune_timeout", "'99999999999h' is not a duration; write it like 3600s, 10m or 1h30m"),
        tuple("gitops.manifest_projects[0].resync_interval",
            "must be at least 1s: each resync goes over every object of the project with the API server"));
  }

  @Test
  void documentThatIsNotAMappingIsRejected() {
    assertThat(errorsOf("- just\n- a list\n")).singleElement()
        .satisfies(e -> assertThat(e.message()).contains("expected a mapping"));
    assertThat(errorsOf("plain text")).singleElement()
        .satisfies(e -> assertThat(e.message()).contains("found the text 'plain text'"));
  }

  @Test
  void duplicateKeysAreErrorsNamingBothLines() {
    List<ConfigError> errors = errorsOf("""
        observability:
          logging: { level: info }
        observability:
          logging: { level: debug }
        """);

    assertThat(errors).singleElement().satisfies(e -> {
      assertThat(e.line()).isEqualTo(3);
      assertThat(e.message()).isEqualTo("duplicate key 'observability' (first at line 1)");
    });
  }

  @Test
  void yamlBombIsRefusedWithoutExpandingIt() {
    StringBuilder bomb = new StringBuilder("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (char c = 'b'; c <= 'j'; c++) {
      char prev = (char) (c - 1);
      bomb.append(c).append(": &").append(c).append(" [");
      bomb.append(String.join(", ", java.util.Collections.nCopies(10, "*" + prev))).append("]\n");
    }

    assertThat(errorsOf(bomb.toString())).singleElement()
        .satisfies(e -> assertThat(e.message()).containsIgnoringCase("aliases"));
  }

  @Test
  void aliasesThatExpandTooFarAreRefusedEvenUnderTheAliasCount() {
    StringBuilder doubling = new StringBuilder("l0: &l0 [x, x]\n");
    for (int i = 1; i <= 24; i++) {
      doubling.append("l").append(i).append(": &l").append(i).append(" [*l").append(i - 1).append(", *l").append(i - 1).append("]\n");
    }

    assertThat(errorsOf(doubling.toString())).singleElement()
        .satisfies(e -> assertThat(e.message()).contains("expands to more than"));
  }

  @Test
  void deepNestingIsRefused() {
    String deep = "a: " + "[".repeat(100_000) + "]".repeat(100_000);

    assertThat(errorsOf(deep)).singleElement()
        .satisfies(e -> assertThat(e.message()).contains("nesting is deeper than 64"));
  }

  @Test
  void tenMegabyteFileIsRefusedBySize() {
    byte[] big = new byte[10 * 1024 * 1024];
    java.util.Arrays.fill(big, (byte) '#');

    assertThatThrownBy(() -> ConfigParser.parse("prod", FILE, big))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining(FILE)
        .hasMessageContaining("file is 10.0 MiB; the limit is 1.0 MiB");
  }

  @Test
  void javaAndCustomTagsAreNeverConstructed() {
    assertThat(errorsOf("observability: !!javax.script.ScriptEngineManager [x]")).singleElement()
        .satisfies(e -> assertThat(e.message()).contains("the tag !!javax.script.ScriptEngineManager is not allowed"));
    assertThat(errorsOf("gitops: { manifest_projects: [ { id: !secret app } ] }")).singleElement()
        .satisfies(e -> assertThat(e.message()).contains("the tag !secret is not allowed"));
  }

  @Test
  void aTagOnAMappingOrListIsRefusedWithItsPlace() {
    assertThat(errorsOf("""
        user_access:
          access_as: { user: {} }
          projects: !!java.util.ArrayList
            - id: group/app
        """)).singleElement().hasToString(FILE + ":3:13: the tag !!java.util.ArrayList is not allowed: only the YAML core tags "
            + "!!map, !!seq, !!str, !!int, !!float, !!bool and !!null may be used; remove the tag");
    assertThat(errorsOf("observability:\n  logging: !logger { level: info }\n")).singleElement()
        .satisfies(e -> assertThat(List.of(e.line(), e.column())).containsExactly(2, 12))
        .satisfies(e -> assertThat(e.message()).contains("the tag !logger is not allowed"));
  }

  @Test
  void anExplicitBooleanMustReadAsOne() {
    assertThat(errorsOf("gitops: { manifest_projects: [ { id: app, prune: !!bool yes } ] }")).singleElement()
        .satisfies(e -> assertThat(e.message()).contains("'yes' is not a !!bool value; write true or false"));
  }

  @Test
  void globsMayNotLeaveTheRepository() {
    assertThat(errorsOf("gitops: { manifest_projects: [ { id: app, paths: [ { glob: '../secrets/*.yaml' } ] } ] }"))
        .singleElement().satisfies(e -> assertThat(e.message()).contains("contains '..'"));
  }

  @Test
  void unclosedBracesAndBracketsInGlobsAreRefusedBeforeAnySync() {
    List<ConfigError> errors = errorsOf("""
        gitops:
          manifest_projects:
            - id: app
              paths:
                - glob: 'deploy/*.{yaml,yml'
                - glob: 'deploy/[ab.yaml'
        """);

    assertThat(errors).extracting(ConfigError::line, ConfigError::message).containsExactly(
        tuple(5, "'deploy/*.{yaml,yml' has a '{' without its '}'"),
        tuple(6, "'deploy/[ab.yaml' has a '[' without its ']'"));
  }

  @Test
  void impersonationWithEmptyOrRepeatedValuesIsRefused() {
    List<ConfigError> errors = errorsOf("""
        ci_access:
          projects:
            - id: group/app
              access_as:
                impersonate:
                  username: deployer
                  groups: ['']
                  extra:
                    - key: ''
                      val: [a]
                    - key: team
                      val: []
                    - key: scope
                      val: [x]
                    - key: scope
                      val: [y]
        """);

    String at = "ci_access.projects[0].access_as.impersonate.";
    assertThat(errors).extracting(ConfigError::path, ConfigError::message).containsExactlyInAnyOrder(
        tuple(at + "groups[0]", "must not be empty"),
        tuple(at + "extra[0].key", "must not be empty"),
        tuple(at + "extra[1].val", "list at least one value"),
        tuple(at + "extra[3].key", "'scope' is listed twice; put all its values in one entry's val"));
  }

  @Test
  void aProjectOrGroupListedTwiceForAccessIsRefused() {
    List<ConfigError> errors = errorsOf("""
        ci_access:
          projects:
            - id: group/app
            - id: group/app
              access_as: { ci_job: {} }
        user_access:
          access_as: { agent: {} }
          groups:
            - id: team
            - id: team
        """);

    assertThat(errors).extracting(ConfigError::path, ConfigError::message).containsExactlyInAnyOrder(
        tuple("ci_access.projects[1].id", "'group/app' is listed twice, and the earlier entry lists no environments, so it lets "
            + "in every job and this one is never used; keep one entry, or give the earlier one environments"),
        tuple("user_access.groups[1].id", "'team' is listed twice; keep one entry"));
  }

  @Test
  void aProjectMayBeListedOncePerSetOfEnvironmentsEachWithItsOwnAccessAs() throws Exception {
    AgentConfig config = ConfigParser.parse("agent", "config.yaml", """
        ci_access:
          projects:
            - id: shop/web
              environments: [production]
              access_as: { impersonate: { username: prod-deployer } }
            - id: shop/web
              environments: [review/*]
              access_as: { ci_job: {} }
            - id: shop/web
        """.getBytes(java.nio.charset.StandardCharsets.UTF_8));

    assertThat(config.ciAccess().projects()).extracting(CiAccess.Grant::environments, g -> g.accessAs().getClass().getSimpleName())
        .containsExactly(tuple(List.of("production"), "Impersonate"), tuple(List.of("review/*"), "CiJob"), tuple(List.of(), "Agent"));
  }

  @Test
  void moreThanOneDocumentIsAnError() {
    assertThat(errorsOf("gitops: {}\n---\ngitops: {}\n")).singleElement()
        .satisfies(e -> assertThat(e.message()).contains("expected one YAML document, found 2"));
  }

  @Test
  void syntaxErrorsCarryTheirPosition() {
    assertThat(errorsOf("gitops:\n  manifest_projects: [\n")).singleElement()
        .satisfies(e -> assertThat(e.line()).isGreaterThan(0));
  }

  @Test
  void twoEntriesSharingAnInventoryAreRefused() {
    assertThat(errorsOf("gitops: { manifest_projects: [ { id: app, paths: [ {glob: 'a/*.yaml'} ] }, { id: app, paths: [ {glob: 'b/*.yaml'} ] } ] }"))
        .singleElement().satisfies(e -> {
          assertThat(e.path()).isEqualTo("gitops.manifest_projects[1]");
          assertThat(e.message()).contains("shares its inventory with entry 0").contains("inventory_id");
        });
  }

  @Test
  void anInventoryIdEqualToAnotherEntrysDerivedIdIsRefused() {
    // Agent prod, project team/web: the derived id is prod-team.web.
    assertThat(errorsOf("gitops: { manifest_projects: [ { id: team/web }, { id: team/api, inventory_id: prod-team.web } ] }"))
        .singleElement().satisfies(e -> {
          assertThat(e.path()).isEqualTo("gitops.manifest_projects[1]");
          assertThat(e.message()).isEqualTo("shares its inventory with entry 0 (inventory id prod-team.web, which entry 0 derives "
              + "from agent prod and project team/web as it has no inventory_id); give one of them its own inventory_id");
        });
  }

  @Test
  void twoEntriesWithTheSameInventoryIdAreRefused() {
    assertThat(errorsOf("gitops: { manifest_projects: [ { id: a, inventory_id: shared }, { id: b, inventory_id: shared } ] }"))
        .singleElement().satisfies(e -> assertThat(e.message()).contains("same inventory_id shared"));
  }

  @Test
  void sameProjectTwiceIsFineWithItsOwnInventoryId() throws Exception {
    assertThat(parse("gitops: { manifest_projects: [ { id: app }, { id: app, inventory_id: second } ] }")
        .gitops().manifestProjects()).hasSize(2);
  }
}
