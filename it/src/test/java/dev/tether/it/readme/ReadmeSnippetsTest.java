package dev.tether.it.readme;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.WithKubernetes;
import dev.tether.testkit.process.FreePort;
import dev.tether.testkit.tether.TetherJar;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every shell block of README.md as written, in README order, in one bash session (-e -o pipefail) in
 * a temporary folder, as a reader pasting them one after the other: later sections use the server and
 * agent that "Connect an agent" starts. A block that cannot run here is marked in the README with
 * {@code <!-- not run in tests: REASON -->}; this test prints each such block with its reason, and every
 * other block must succeed.
 *
 * <p>What differs from a reader's machine, and nothing else (the README text is never edited):
 * <ul>
 *   <li>The temporary folder stands for the checkout: {@code cli/target/tether.jar} in it is the jar this build
 *       made, and {@code mvn} on the PATH is a stand-in that checks it is asked to package the cli module and
 *       builds nothing, because Maven is building this very test.</li>
 *   <li>Paths: {@code /tmp/} becomes {@code <folder>/tmp/}, and HOME is {@code <folder>/home}, so nothing of
 *       the machine's is read or written.</li>
 *   <li>Ports: free ones instead of 8080, 8443 and 8444 (other tests and a demo may hold those):
 *       {@code tether server} gets {@code --http-address}, {@code --agent-address} and {@code --kube-proxy-address},
 *       {@code 127.0.0.1:8443} becomes the agent port, and {@code TETHER_SERVER_URL} names the HTTP port.</li>
 *   <li>The cluster is the test control plane ({@code KUBECONFIG}), with its kubectl on the PATH.</li>
 * </ul>
 * Afterwards the README's stop command must leave nothing of what the blocks started running.
 */
@WithKubernetes
class ReadmeSnippetsTest {
  private static final Path CHECKOUT = Path.of("..").toAbsolutePath().normalize();
  /** What the README says stops the server and agent "Connect an agent" starts. */
  private static final String STOP_COMMAND = "kill $(cat agent.pid server.pid)";
  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(8);

  @Test
  @DisplayName("README.md: every shell block not marked 'not run in tests' runs as written and succeeds; the README's stop command stops what they started")
  void everyShellBlockRuns(@TempDir Path dir, KubeControlPlane cluster) throws Exception {
    ReadmeShellBlocks readme = ReadmeShellBlocks.read(CHECKOUT.resolve("README.md"));
    readme.notRun().forEach(b -> System.out.println("[readme] not run: " + b.where() + ": " + b.notRun().get()));
    assertThat(readme.toRun()).as("shell blocks to run").isNotEmpty();
    assertThat(Files.readString(CHECKOUT.resolve("README.md"))).as("the README says how to stop what it starts").contains(STOP_COMMAND);

    int httpPort = FreePort.pick();
    int agentPort = FreePort.pick();
    int proxyPort = FreePort.pick();
    Map<String, String> substitutions = new LinkedHashMap<>();
    substitutions.put("/tmp/", dir.resolve("tmp") + "/");
    substitutions.put("tether server --dev-tls", "tether server --dev-tls --http-address 127.0.0.1:" + httpPort
        + " --agent-address 127.0.0.1:" + agentPort + " --kube-proxy-address 127.0.0.1:" + proxyPort);
    substitutions.put("127.0.0.1:8443", "127.0.0.1:" + agentPort);

    Path script = writeScript(dir, readme.toRun(), substitutions);
    Path output = dir.resolve("readme.out");
    ProcessBuilder bash = new ProcessBuilder("bash", script.toString()).directory(dir.toFile())
        .redirectErrorStream(true).redirectOutput(output.toFile());
    bash.environment().putAll(Map.of(
        "PATH", dir.resolve("stand-ins") + ":" + cluster.binaries().dir() + ":" + Path.of(System.getProperty("java.home"), "bin")
            + ":" + System.getenv("PATH"),
        "HOME", dir.resolve("home").toString(),
        "KUBECONFIG", cluster.kubeconfig().toString(),
        "TETHER_SERVER_URL", "http://127.0.0.1:" + httpPort));
    try {
      Process run = bash.start();
      boolean finished = run.waitFor(RUN_TIMEOUT.toMinutes(), TimeUnit.MINUTES);
      if (!finished) {
        run.destroyForcibly();
      }
      String printed = Files.readString(output);
      assertThat(finished && run.exitValue() == 0).as("the README's blocks ran to the end; the last one started was "
          + lastBlock(printed) + ":\n" + printed + logs(dir)).isTrue();

      System.out.print(printed);
      // What the blocks print names this server, not placeholders.
      assertThat(printed)
          .contains("Push webhook: POST http://127.0.0.1:" + httpPort + "/api/v1/projects/platform/config/hooks/push")
          .contains("tether agent --server 127.0.0.1:" + agentPort + " --token-file prod.token --ca-file tether-data/tls/ca.crt")
          .contains("--server https://127.0.0.1:" + proxyPort)
          .doesNotContain("<server");

      List<ProcessHandle> started = pidFiles(dir);
      assertThat(started).as("server.pid and agent.pid name the java processes of the server and the agent")
          .hasSize(2).allSatisfy(p -> assertThat(p.info().commandLine().orElse("")).contains("tether.jar"));
      ProcessBuilder stop = new ProcessBuilder("bash", "-c", STOP_COMMAND).directory(dir.toFile()).inheritIO();
      assertThat(stop.start().waitFor()).as(STOP_COMMAND).isZero();
      for (ProcessHandle p : started) {
        p.onExit().get(30, TimeUnit.SECONDS);
      }
      assertThat(leftovers(dir)).as("processes of the README's blocks still running after '" + STOP_COMMAND + "'").isEmpty();
    } finally {
      leftovers(dir).forEach(ProcessHandle::destroyForcibly);
      Files.deleteIfExists(dir.resolve("cli/target/tether.jar")); // the link only, before JUnit warns about it
      cluster.runKubectl("delete", "namespace", "apps", "--ignore-not-found", "--wait=false");
    }
  }

  /** One script: each block after a line saying where it comes from, so a failure names its block. */
  private static Path writeScript(Path dir, List<ReadmeShellBlocks.Block> blocks, Map<String, String> substitutions)
      throws IOException {
    Files.createDirectories(dir.resolve("tmp"));
    Files.createDirectories(dir.resolve("home"));
    Files.createDirectories(dir.resolve("cli/target"));
    Files.createSymbolicLink(dir.resolve("cli/target/tether.jar"), TetherJar.path());
    Path mvn = dir.resolve("stand-ins/mvn");
    Files.createDirectories(mvn.getParent());
    Files.writeString(mvn, """
        #!/bin/sh
        # Stands in for the README's build: the jar is built already by the Maven run that runs this test.
        case " $* " in *" package "*) ;; *) echo "mvn stand-in: expected 'package', got: $*" >&2; exit 1;; esac
        case " $* " in *" -pl cli "*) ;; *) echo "mvn stand-in: expected '-pl cli', got: $*" >&2; exit 1;; esac
        test -f cli/target/tether.jar || { echo "mvn stand-in: no cli/target/tether.jar here" >&2; exit 1; }
        """);
    Files.setPosixFilePermissions(mvn, PosixFilePermissions.fromString("rwxr-xr-x"));

    List<String> unused = new ArrayList<>(substitutions.keySet());
    StringBuilder script = new StringBuilder("set -e -o pipefail\n");
    for (ReadmeShellBlocks.Block block : blocks) {
      String text = block.text();
      for (Map.Entry<String, String> s : substitutions.entrySet()) {
        if (text.contains(s.getKey())) {
          unused.remove(s.getKey());
          text = text.replace(s.getKey(), s.getValue());
        }
      }
      script.append("\necho '[readme] ").append(block.where().replace("'", "'\\''")).append("'\n").append(text);
    }
    // A substitution that matches nothing means the README changed under this test: say so rather than run elsewhere.
    assertThat(unused).as("substitutions that no longer match the README").isEmpty();
    Path file = dir.resolve("readme-blocks.sh");
    Files.writeString(file, script);
    return file;
  }

  private static String lastBlock(String printed) {
    int at = printed.lastIndexOf("[readme] ");
    return at < 0 ? "none" : printed.substring(at + 9, printed.indexOf('\n', at));
  }

  private static List<ProcessHandle> pidFiles(Path dir) throws IOException {
    List<ProcessHandle> processes = new ArrayList<>();
    for (String name : List.of("server.pid", "agent.pid")) {
      long pid = Long.parseLong(Files.readString(dir.resolve(name)).strip());
      ProcessHandle.of(pid).ifPresent(processes::add);
    }
    return processes;
  }

  /** Whatever runs from the temporary folder: the jar there, or a script there. */
  private static List<ProcessHandle> leftovers(Path dir) {
    return ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains(dir.toString())).toList();
  }

  private static String logs(Path dir) throws IOException {
    StringBuilder all = new StringBuilder();
    for (String name : List.of("server.log", "agent.log")) {
      Path log = dir.resolve(name);
      if (Files.exists(log)) {
        String text = Files.readString(log);
        all.append("\n--- ").append(name).append(" (end) ---\n").append(text.substring(Math.max(0, text.length() - 6000)));
      }
    }
    return all.toString();
  }
}
