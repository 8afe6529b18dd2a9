package dev.tether.common;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TetherVersionTest {
  @Test
  void versionIsStampedByTheBuild() {
    assertThat(TetherVersion.get()).matches("\\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
  }
}
