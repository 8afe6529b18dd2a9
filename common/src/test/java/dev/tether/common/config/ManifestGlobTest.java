package dev.tether.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ManifestGlobTest {
  @Test
  void defaultGlobSelectsManifestsAtAnyDepthIncludingTheRoot() {
    ManifestGlob glob = ManifestGlob.compile("/**/*.{yaml,yml,json}");

    assertThat(glob.matches("app.yaml")).isTrue();
    assertThat(glob.matches("manifests/app.yml")).isTrue();
    assertThat(glob.matches("a/b/c/d.json")).isTrue();
    assertThat(glob.matches("README.md")).isFalse();
    assertThat(glob.matches("app.yaml.bak")).isFalse();
  }

  @Test
  void doubleStarMatchesZeroOrMoreDirectoriesOnlyAsAWholeSegment() {
    ManifestGlob glob = ManifestGlob.compile("manifests/**/deploy-*.yaml");

    assertThat(glob.matches("manifests/deploy-web.yaml")).isTrue();
    assertThat(glob.matches("manifests/prod/eu/deploy-web.yaml")).isTrue();
    assertThat(glob.matches("other/manifests/deploy-web.yaml")).isFalse();
    assertThat(ManifestGlob.compile("a**b.yaml").matches("axxb.yaml")).isTrue();
    assertThat(ManifestGlob.compile("a**b.yaml").matches("ax/xb.yaml")).isFalse();
    assertThat(ManifestGlob.compile("manifests/**").matches("manifests/x/y.yaml")).isTrue();
  }

  @Test
  void singleStarAndQuestionMarkStayInOneSegment() {
    assertThat(ManifestGlob.compile("*.yaml").matches("dir/app.yaml")).isFalse();
    assertThat(ManifestGlob.compile("app-?.yaml").matches("app-1.yaml")).isTrue();
    assertThat(ManifestGlob.compile("app-?.yaml").matches("app-/.yaml")).isFalse();
  }

  @Test
  void classesAndBracesAndLiteralDots() {
    assertThat(ManifestGlob.compile("env/[ps]*/*.yaml").matches("env/prod/app.yaml")).isTrue();
    assertThat(ManifestGlob.compile("env/[!ps]*/*.yaml").matches("env/prod/app.yaml")).isFalse();
    assertThat(ManifestGlob.compile("{base,overlays/prod}/*.yaml").matches("overlays/prod/x.yaml")).isTrue();
    assertThat(ManifestGlob.compile("app.yaml").matches("appXyaml")).isFalse();
  }

  @Test
  void unbalancedGlobsAreRefused() {
    assertThatThrownBy(() -> ManifestGlob.compile("{a,b.yaml")).hasMessageContaining("without its '}'");
    assertThatThrownBy(() -> ManifestGlob.compile("[ab.yaml")).hasMessageContaining("without its ']'");
  }

  @Test
  void filesUnderDotDirectoriesAreHidden() {
    assertThat(ManifestGlob.inHiddenDirectory(".gitlab/agents/a/config.yaml")).isTrue();
    assertThat(ManifestGlob.inHiddenDirectory("manifests/.old/app.yaml")).isTrue();
    assertThat(ManifestGlob.inHiddenDirectory(".hidden.yaml")).isFalse();
    assertThat(ManifestGlob.inHiddenDirectory("manifests/app.yaml")).isFalse();
  }
}
