package dev.tether.testkit.git;

import dev.tether.testkit.process.FreePort;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

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
        if (awaitListening(process, port)) {
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
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private static boolean awaitListening(Process process, int port) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline && process.isAlive()) {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
        return true;
      } catch (IOException notYet) {
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
    }
    return false;
  }
}
