package dev.tether.server.render;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The image ships the kustomize release that the tests run: the one tools/k8s/go.mod pins. */
class ShippedKustomizeVersionTest {
  @Test
  void theImageBuildsTheKustomizeTheTestsUse() throws Exception {
    Matcher pinned = Pattern.compile("(?m)^\\s*sigs\\.k8s\\.io/kustomize/kustomize/v5 (v\\S+)")
        .matcher(Files.readString(Path.of("..", "tools", "k8s", "go.mod")));
    Matcher shipped = Pattern.compile("(?m)^ARG KUSTOMIZE_VERSION=(\\S+)$")
        .matcher(Files.readString(Path.of("..", "deploy", "docker", "Dockerfile")));

    assertThat(pinned.find()).as("tools/k8s/go.mod requires kustomize").isTrue();
    assertThat(shipped.find()).as("deploy/docker/Dockerfile has ARG KUSTOMIZE_VERSION").isTrue();
    assertThat(shipped.group(1)).isEqualTo(pinned.group(1));
  }
}
