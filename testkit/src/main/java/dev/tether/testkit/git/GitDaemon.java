package dev.tether.testkit.git;

import dev.tether.testkit.process.FreePort;
import dev.tether.testkit.process.Listening;
import dev.tether.testkit.process.Stopping;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** `git daemon` serving every bare repository under a folder over {@code git://} on loopback. */
public final class GitDaemon implements AutoCloseable {
  private final Process process;
  private final int port;

  private GitDaemon(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  public static GitDaemon serve(Path root) {
    IllegalStateException last = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      int port = FreePort.pick();
      try {
        Process process = new ProcessBuilder(List.of("git", "daemon", "--reuseaddr", "--listen=127.0.0.1",
            "--port=" + port, "--export-all", "--informative-errors", "--base-path=" + root, root.toString()))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
        if (Listening.await(process, port, Duration.ofSeconds(10))) {
          return new GitDaemon(process, port);
        }
        process.destroyForcibly();
        last = new IllegalStateException("git daemon did not listen on 127.0.0.1:" + port);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start `git daemon`: " + e.getMessage(), e);
      }
    }
    throw last;
  }

  /** {@code git://127.0.0.1:<port>/<name>.git} */
  public String url(GitRepository repository) {
    return "git://127.0.0.1:" + port + "/" + repository.name() + ".git";
  }

  public int port() {
    return port;
  }

  @Override
  public void close() {
    Stopping.gracefully(process, Duration.ofSeconds(5));
  }
}
