package dev.tether.server.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.common.config.ManifestSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The renderer's limits and isolation, with a stand-in program in kustomize's place that misbehaves
 * on purpose (the real kustomize is run by the integration tests): each limit is named when hit,
 * the program sees none of the server's environment, and the private folder is gone afterwards.
 */
class KustomizeRendererLimitsTest {
  @TempDir Path dir;

  private static final Map<String, String> FILES = Map.of("app/kustomization.yaml", "resources: [cm.yaml]\n",
      "app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");

  private KustomizeRenderer renderer(String script, RenderLimits limits) throws Exception {
    Path program = dir.resolve("kustomize");
    Files.writeString(program, "#!/bin/sh\n" + script + "\n");
    Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwx------"));
    return new KustomizeRenderer(new KustomizeProgram(Optional.of(program)), dir.resolve("render"), limits);
  }

  private static byte[] render(KustomizeRenderer renderer) throws RenderException {
    ProjectTree tree = ProjectTree.inMemory("team/web", "c0ffee", FILES, Set.of());
    return renderer.render(renderer.plan(tree, new ManifestSource.Kustomize("app")));
  }

  @Test
  void aRenderThatRunsTooLongIsStoppedAndTheLimitNamed() throws Exception {
    KustomizeRenderer renderer = renderer("exec /bin/sleep 30", RenderLimits.DEFAULT.withTimeout(Duration.ofMillis(500)));
    long started = System.nanoTime();
    assertThatThrownBy(() -> render(renderer)).hasMessage("kustomize build app did not finish within 500ms (the render time limit)");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    assertThat(dir.resolve("render")).isEmptyDirectory();
  }

  @Test
  void tooMuchOutputIsStoppedAndTheLimitNamed() throws Exception {
    KustomizeRenderer renderer = renderer("while :; do echo 'kind: ConfigMap'; done", RenderLimits.DEFAULT.withMaxOutputBytes(10_000));
    assertThatThrownBy(() -> render(renderer)).hasMessage("kustomize build app printed more than 10000 bytes (the render output limit)");
  }

  @Test
  void tooManyFilesOrBytesAreRefusedBeforeTheProgramRuns() throws Exception {
    assertThatThrownBy(() -> render(renderer("echo ran", RenderLimits.DEFAULT.withMaxFiles(1))))
        .hasMessage("the overlay app reads more than 1 files (the limit per render)");
    assertThatThrownBy(() -> render(renderer("echo ran", RenderLimits.DEFAULT.withMaxTotalBytes(40))))
        .hasMessage("the files overlay app reads are more than 40 bytes together (the limit per render)");
  }

  @Test
  void theProgramSeesOnlyTheFilesItMayReadAndNoneOfTheServersEnvironment() throws Exception {
    // PATH leads nowhere (no git, no helm), so the stand-in names its tools in full. It prints its arguments, environment and the files it was given, as a ConfigMap-free text.
    KustomizeRenderer renderer = renderer("echo \"args: $*\"; /usr/bin/env | /usr/bin/sort; /usr/bin/find . -type f | /usr/bin/sort; /bin/ls -ld ..",
        RenderLimits.DEFAULT);
    String out = new String(render(renderer), StandardCharsets.UTF_8);

    assertThat(out).contains("args: build app --load-restrictor LoadRestrictionsRootOnly");
    assertThat(out).contains("./app/cm.yaml", "./app/kustomization.yaml");
    assertThat(out.lines().filter(l -> l.contains("=")).map(l -> l.substring(0, l.indexOf('='))))
        .allMatch(Set.of("PATH", "HOME", "XDG_CONFIG_HOME", "KUSTOMIZE_PLUGIN_HOME", "PWD", "SHLVL", "_", "OLDPWD")::contains);
    assertThat(out).doesNotContain(System.getProperty("user.home") + "/.kube");
    assertThat(out).containsPattern("(?m)^drwx------ .* \\.\\.$");
    assertThat(dir.resolve("render")).isEmptyDirectory();
  }

  @Test
  void aFailedRenderSaysWhatTheProgramSaidWithProjectPaths() throws Exception {
    KustomizeRenderer renderer = renderer("echo \"Error: trouble in $PWD/app/cm.yaml\" >&2; exit 1", RenderLimits.DEFAULT);
    assertThatThrownBy(() -> render(renderer)).hasMessage("trouble in app/cm.yaml");
  }

  @Test
  void aMissingProgramNamesTheOption() {
    KustomizeRenderer renderer = new KustomizeRenderer(new KustomizeProgram(Optional.of(dir.resolve("nowhere"))), dir, RenderLimits.DEFAULT);
    assertThatThrownBy(() -> render(renderer)).hasMessageContaining("(tether server --kustomize-path) is not an executable file");
  }
}
