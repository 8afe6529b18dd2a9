package dev.tether.it.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.agent.TetherAgent;
import dev.tether.it.support.ConfigProject;
import dev.tether.it.support.TetherHarness;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerRestartTest {

  @Test
  @DisplayName("after a restart with Git unreachable, agents still get their last valid config from the store")
  void lastValidConfigSurvivesRestartWithoutGit(@TempDir Path dir) throws Exception {
    ConfigProject config = new ConfigProject(dir.resolve("repos"), "config");
    String commit = config.push("resilient", "gitops: { manifest_projects: [ { id: team/app } ] }\n");
    try (TetherHarness tether = new TetherHarness(dir, Duration.ofMillis(300))) {
      tether.addProject("team/config", config.repo().bareDir().toString(), Map.of());
      Path token = tether.createAgent("resilient", "team/config");
      TetherAgent first = tether.startAgent(token, Optional.empty());
      await().atMost(Duration.ofSeconds(20)).until(() -> first.configuration().isPresent());
      first.close();

      Files.move(config.repo().bareDir(), dir.resolve("repos/moved-away.git"));
      tether.restartServer();
      await().atMost(Duration.ofSeconds(20)).until(() -> tether.agentStatus("resilient").get("config").hasNonNull("fetch_error"));

      TetherAgent second = tether.startAgent(token, Optional.empty());
      await().atMost(Duration.ofSeconds(20)).until(() -> second.configuration().isPresent());
      assertThat(second.configuration().get().commit()).isEqualTo(commit);
      assertThat(second.configuration().get().config().gitops().manifestProjects().get(0).id()).isEqualTo("team/app");
    }
  }
}
