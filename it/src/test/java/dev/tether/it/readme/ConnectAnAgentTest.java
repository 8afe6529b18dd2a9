package dev.tether.it.readme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.testkit.git.GitHttpServer;
import dev.tether.testkit.git.GitRepository;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.WithKubernetes;
import dev.tether.testkit.process.FreePort;
import dev.tether.testkit.process.ProcessResult;
import dev.tether.testkit.tether.TetherJar;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README's "Connect an agent" section, command by command, as a user runs them: the jar as
 * separate processes, a private config project over HTTP with a password. Afterwards every byte
 * any of them printed is searched for the secrets used.
 */
@WithKubernetes
class ConnectAnAgentTest {

  @Test
  @DisplayName("README 'Connect an agent': server --dev-tls, project add, agent create, agent run, agent list shows it connected; no secret in any output")
  void readmeFlow(@TempDir Path dir, KubeControlPlane cluster) throws Exception {
    GitRepository repo = GitRepository.create(dir.resolve("repos"), "config");
    repo.write(".gitlab/agents/prod/config.yaml", "observability:\n  logging:\n    level: info\n").commitAndPush("Configure prod");
    String gitPassword = "git-password-" + System.nanoTime();
    Files.writeString(dir.resolve("git-password"), gitPassword + "\n");
    int httpPort = FreePort.pick();
    int agentPort = FreePort.pick();
    Path data = dir.resolve("tether-data");
    List<Path> logs = new ArrayList<>();
    List<Process> processes = new ArrayList<>();

    try (GitHttpServer git = GitHttpServer.serve(dir.resolve("repos"), "reader", gitPassword)) {
      // 1. tether server --dev-tls
      processes.add(start(dir, logs, Map.of(), "server", "server", "--dev-tls", "--data-dir", data.toString(),
          "--http-address", "127.0.0.1:" + httpPort, "--agent-address", "127.0.0.1:" + agentPort, "--poll-interval", "1s",
          // The README's project is a local path; this test's is a password-protected HTTP server on loopback.
          "--allow-git-url", "127.0.0.1"));
      await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(data.resolve("admin-token")) && logContains(logs.get(0), "ready"));
      String server = "http://127.0.0.1:" + httpPort;
      String tokenFile = data.resolve("admin-token").toString();

      // 2. tether admin project add
      ProcessResult added = admin(dir, server, tokenFile, "project", "add", "platform/config", "--url", git.url(repo),
          "--username", "reader", "--password-file", dir.resolve("git-password").toString());
      assertThat(added.stdout()).contains("Project 'platform/config' added");

      // 3. tether admin agent create … --token-out
      ProcessResult created = admin(dir, server, tokenFile, "agent", "create", "prod", "--config-project", "platform/config",
          "--token-out", dir.resolve("prod.token").toString());
      assertThat(created.stdout()).contains("Agent 'prod' created", "written to");
      String agentToken = Files.readString(dir.resolve("prod.token")).strip();
      assertThat(agentToken).startsWith("tether-agent-");

      // 4. tether agent --server … --token-file … --ca-file …
      processes.add(start(dir, logs, Map.of("POD_NAME", "tether-agent-7d9f", "POD_NAMESPACE", "gitops"), "agent", "agent",
          "--server", "127.0.0.1:" + agentPort,
          "--token-file", dir.resolve("prod.token").toString(), "--ca-file", data.resolve("tls/ca.crt").toString(),
          "--kubeconfig", cluster.kubeconfig().toString()));
      await().atMost(Duration.ofSeconds(60)).until(() -> logContains(logs.get(1), "Configuration .gitlab/agents/prod/config.yaml"));

      // 5. tether admin agent list
      ProcessResult listed = admin(dir, server, tokenFile, "agent", "list");
      assertThat(listed.stdout()).containsPattern("prod\\s+yes\\s+\\S+\\s+" + cluster.binaries().kubernetesVersion() + "\\s+valid\\s+[0-9a-f]{12}\\s+now");
      ProcessResult shown = admin(dir, server, tokenFile, "agent", "show", "prod");
      assertThat(shown.stdout()).contains("Config state:   valid", "pod gitops/tether-agent-7d9f",
          "cluster " + cluster.binaries().kubernetesVersion());
      ProcessResult json = admin(dir, server, tokenFile, "agent", "list", "-o", "json");
      assertThat(json.stdout()).contains("\"connected\" : true");

      stopAll(processes);
      String everything = String.join("\n", added.stdout(), added.stderr(), created.stdout(), created.stderr(),
          listed.stdout(), listed.stderr(), json.stdout(), json.stderr()) + "\n" + read(logs);
      assertThat(everything).doesNotContain(agentToken).doesNotContain(gitPassword)
          .doesNotContain(Files.readString(data.resolve("admin-token")).strip());
      assertThat(read(logs)).contains("Agent 'prod' connected").doesNotContain("Exception");
    } finally {
      processes.forEach(Process::destroyForcibly);
    }
  }

  private static Process start(Path dir, List<Path> logs, Map<String, String> env, String name, String... args) throws IOException {
    Path log = dir.resolve(name + ".log");
    logs.add(log);
    ProcessBuilder process = new ProcessBuilder(TetherJar.command(args)).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    process.environment().putAll(env);
    return process.start();
  }

  private static ProcessResult admin(Path dir, String server, String tokenFile, String... args) {
    List<String> command = new ArrayList<>(List.of("admin"));
    command.addAll(List.of(args));
    command.addAll(List.of("--server-url", server, "--admin-token-file", tokenFile));
    return TetherJar.run(command.toArray(String[]::new)).directory(dir).run().orThrow();
  }

  private static void stopAll(List<Process> processes) throws InterruptedException {
    for (int i = processes.size() - 1; i >= 0; i--) {
      processes.get(i).destroy();
      assertThat(processes.get(i).waitFor(20, java.util.concurrent.TimeUnit.SECONDS)).as("process exits on SIGTERM").isTrue();
    }
  }

  private static boolean logContains(Path log, String text) throws IOException {
    return Files.exists(log) && Files.readString(log).contains(text);
  }

  private static String read(List<Path> logs) throws IOException {
    StringBuilder all = new StringBuilder();
    for (Path log : logs) {
      all.append(Files.readString(log)).append('\n');
    }
    return all.toString();
  }
}
