package dev.tether.testkit.k8s;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real kubectl's stream commands (exec, attach, cp, port-forward) against any API server a
 * kubeconfig names (the control plane itself or a proxy in front of it), over one protocol, with
 * stdin and stdout as raw bytes so a test can compare them byte for byte.
 */
public final class KubectlStreams {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final Pattern FORWARDING = Pattern.compile("Forwarding from 127\\.0\\.0\\.1:(\\d+) -> (\\d+)");

  /** How kubectl carries the streams: WebSocket (its default since 1.31) or the older SPDY. */
  public enum Protocol {
    WEBSOCKET("true"),
    SPDY("false");

    private final String websockets;

    Protocol(String websockets) {
      this.websockets = websockets;
    }

    /**
     * The verb the API server's audit log gives kubectl's stream requests over this protocol: a
     * WebSocket upgrade is a GET, a SPDY one a POST ("create").
     */
    public String auditVerb() {
      return this == WEBSOCKET ? "get" : "create";
    }
  }

  /** What a finished kubectl did: its exit code, stdout as bytes, stderr as text. */
  public record Run(List<String> command, int exitCode, byte[] stdout, String stderr) {
    public Run orThrow() {
      if (exitCode != 0) {
        throw new IllegalStateException("`" + String.join(" ", command) + "` exited with " + exitCode + ": " + stderr);
      }
      return this;
    }
  }

  private final Path kubectl;
  private final Path kubeconfig;
  private final String namespace;
  private final Protocol protocol;
  private final Path scratch;

  /**
   * @param scratch a folder for stdin and stdout files of the commands run
   */
  public KubectlStreams(Path kubectl, Path kubeconfig, String namespace, Protocol protocol, Path scratch) {
    this.kubectl = kubectl;
    this.kubeconfig = kubeconfig;
    this.namespace = namespace;
    this.protocol = protocol;
    this.scratch = scratch;
  }

  public Protocol protocol() {
    return protocol;
  }

  public String namespace() {
    return namespace;
  }

  /** {@code kubectl exec [-i] pod -c container -- command…}, with {@code stdin} (null for none) as its input. */
  public Run exec(String pod, String container, byte[] stdin, String... command) {
    List<String> args = new ArrayList<>(List.of("exec"));
    if (stdin != null) {
      args.add("-i");
    }
    args.addAll(List.of(pod, "-c", container, "--"));
    args.addAll(List.of(command));
    return run(args, stdin);
  }

  /** {@code kubectl attach -i pod -c container}, sending {@code stdin}. */
  public Run attach(String pod, String container, byte[] stdin) {
    return run(List.of("attach", "-i", pod, "-c", container), stdin);
  }

  /** {@code kubectl cp local namespace/pod:remote -c container}; a relative remote path is in the container's working folder. */
  public Run copyToPod(Path local, String pod, String container, String remote) {
    return run(List.of("cp", local.toString(), namespace + "/" + pod + ":" + remote, "-c", container), null);
  }

  /** {@code kubectl cp namespace/pod:remote local -c container}. */
  public Run copyFromPod(String pod, String container, String remote, Path local) {
    return run(List.of("cp", namespace + "/" + pod + ":" + remote, local.toString(), "-c", container), null);
  }

  /**
   * Starts {@code kubectl port-forward pod :remotePort} and waits until it listens; close the result
   * to stop it.
   */
  public PortForward portForward(String pod, int remotePort) {
    List<String> command = command(List.of("port-forward", "--address", "127.0.0.1", "pod/" + pod, ":" + remotePort));
    Process process;
    try {
      process = processBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command, e);
    }
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    StringBuilder seen = new StringBuilder();
    CompletableFuture<Integer> localPort = CompletableFuture.supplyAsync(() -> {
      try {
        for (String line; (line = out.readLine()) != null; ) {
          seen.append(line).append('\n');
          Matcher m = FORWARDING.matcher(line);
          if (m.find()) {
            return Integer.parseInt(m.group(1));
          }
        }
        return -1;
      } catch (IOException e) {
        return -1;
      }
    });
    int port;
    try {
      port = localPort.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      port = -1;
    }
    if (port < 0) {
      process.destroyForcibly();
      throw new IllegalStateException("`" + String.join(" ", command) + "` did not start forwarding; it wrote:\n" + seen);
    }
    // Keep reading so kubectl never blocks on a full pipe (it logs every connection it handles).
    CompletableFuture.runAsync(() -> {
      try {
        while (out.readLine() != null) {
          // discard
        }
      } catch (IOException ignored) {
        // the process ended
      }
    });
    return new PortForward(process, port);
  }

  /** A running {@code kubectl port-forward}: connect to 127.0.0.1:{@link #localPort()}. */
  public record PortForward(Process process, int localPort) implements AutoCloseable {
    @Override
    public void close() {
      process.destroy();
      try {
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  private Run run(List<String> args, byte[] stdin) {
    List<String> command = command(args);
    try {
      Files.createDirectories(scratch);
      Path in = Files.createTempFile(scratch, "stdin-", ".bin");
      Path out = Files.createTempFile(scratch, "stdout-", ".bin");
      Path err = Files.createTempFile(scratch, "stderr-", ".txt");
      try {
        ProcessBuilder builder = processBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        if (stdin != null) {
          Files.write(in, stdin);
          builder.redirectInput(in.toFile());
        } else {
          builder.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        }
        Process process = builder.start();
        if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
          throw new IllegalStateException("`" + String.join(" ", command) + "` (" + protocol + ") did not finish within "
              + TIMEOUT.toSeconds() + " s; stderr so far: " + Files.readString(err));
        }
        return new Run(command, process.exitValue(), Files.readAllBytes(out), Files.readString(err));
      } finally {
        Files.deleteIfExists(in);
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run `" + String.join(" ", command) + "`: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running `" + String.join(" ", command) + "`", e);
    }
  }

  private List<String> command(List<String> args) {
    List<String> command = new ArrayList<>(List.of(kubectl.toString(), "--kubeconfig", kubeconfig.toString(), "-n", namespace));
    command.addAll(args);
    return command;
  }

  private ProcessBuilder processBuilder(List<String> command) {
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().put("KUBECTL_REMOTE_COMMAND_WEBSOCKETS", protocol.websockets);
    builder.environment().put("KUBECTL_PORT_FORWARD_WEBSOCKETS", protocol.websockets);
    return builder;
  }
}
