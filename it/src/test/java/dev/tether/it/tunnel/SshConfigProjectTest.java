package dev.tether.it.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.agent.TetherAgent;
import dev.tether.it.support.ConfigProject;
import dev.tether.it.support.TetherHarness;
import dev.tether.testkit.git.GitSshServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Config projects over SSH with a key, against OpenSSH's sshd, with strict host key checking. */
class SshConfigProjectTest {

  @Test
  @DisplayName("a config project over SSH with a key is fetched; a host key that is not in known_hosts is refused")
  void sshWithKeyAndKnownHosts(@TempDir Path dir) {
    ConfigProject config = new ConfigProject(dir.resolve("repos"), "config");
    String commit = config.push("remote", "observability: { logging: { level: warn } }\n");
    try (GitSshServer ssh = GitSshServer.start(dir.resolve("sshd"));
         TetherHarness tether = new TetherHarness(dir, Duration.ofMillis(300))) {
      tether.addProject("ops/config", ssh.url(config.repo()),
          Map.of("ssh_private_key", ssh.clientPrivateKey(), "ssh_known_hosts", ssh.knownHostsLine()));
      tether.addProject("ops/impostor", ssh.url(config.repo()),
          Map.of("ssh_private_key", ssh.clientPrivateKey(),
              "ssh_known_hosts", "[127.0.0.1]:" + ssh.port() + " ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBFakeKeyThatIsNotTheServersAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"));

      TetherAgent agent = tether.startAgent(tether.createAgent("remote", "ops/config"), Optional.empty());
      tether.createAgent("fooled", "ops/impostor");

      await().atMost(Duration.ofSeconds(30)).until(() -> agent.configuration().isPresent());
      assertThat(agent.configuration().get().commit()).isEqualTo(commit);
      await().atMost(Duration.ofSeconds(30)).until(() -> tether.agentStatus("fooled").get("config").hasNonNull("fetch_error"));
      assertThat(tether.agentStatus("fooled").get("config").get("fetch_error").asText()).contains("cannot fetch project 'ops/impostor'");
      assertThat(tether.agentStatus("fooled").get("config").get("state").asText()).isEqualTo("pending");
    }
  }
}
