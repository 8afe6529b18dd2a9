package dev.tether.testkit.git;

import dev.tether.testkit.process.ExternalCommand;
import dev.tether.testkit.process.FreePort;
import dev.tether.testkit.process.Listening;
import dev.tether.testkit.process.Stopping;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * OpenSSH's sshd (Debian's openssh-server, installed by tools/test.sh) on a free loopback port,
 * accepting only one generated client key, so Git over SSH is tested against the real thing.
 */
public final class GitSshServer implements AutoCloseable {
  private static final Path SSHD = Path.of("/usr/sbin/sshd");

  private final Process process;
  private final int port;
  private final Path dir;

  private GitSshServer(Process process, int port, Path dir) {
    this.process = process;
    this.port = port;
    this.dir = dir;
  }

  public static GitSshServer start(Path dir) {
    if (!Files.isExecutable(SSHD)) {
      throw new IllegalStateException(SSHD + " is missing: install Debian's openssh-server (tools/test.sh does)");
    }
    try {
      Files.createDirectories(dir);
      keygen(dir.resolve("host_key"));
      keygen(dir.resolve("client_key"));
      Files.copy(dir.resolve("client_key.pub"), dir.resolve("authorized_keys"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare sshd files in " + dir, e);
    }
    IllegalStateException last = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      int port = FreePort.pick();
      try {
        Files.writeString(dir.resolve("sshd_config"), String.join("\n",
            "ListenAddress 127.0.0.1",
            "Port " + port,
            "HostKey " + dir.resolve("host_key"),
            "AuthorizedKeysFile " + dir.resolve("authorized_keys"),
            "PidFile " + dir.resolve("sshd.pid"),
            "AllowUsers " + System.getProperty("user.name"),
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitRootLogin prohibit-password",
            "UsePAM no",
            // The test's temporary folders are not owned the way sshd insists on for home directories.
            "StrictModes no",
            ""));
        Process process = new ProcessBuilder(List.of(SSHD.toString(), "-D", "-e", "-f", dir.resolve("sshd_config").toString()))
            .redirectErrorStream(true).redirectOutput(dir.resolve("sshd.log").toFile()).start();
        if (Listening.await(process, port, Duration.ofSeconds(10))) {
          return new GitSshServer(process, port, dir);
        }
        process.destroyForcibly();
        last = new IllegalStateException("sshd did not listen on 127.0.0.1:" + port + "; its log:\n" + Files.readString(dir.resolve("sshd.log")));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start sshd: " + e.getMessage(), e);
      }
    }
    throw last;
  }

  /** {@code ssh://<user>@127.0.0.1:<port>/<absolute path of the bare repository>} */
  public String url(GitRepository repository) {
    return "ssh://" + System.getProperty("user.name") + "@127.0.0.1:" + port + repository.bareDir().toAbsolutePath();
  }

  /** The client's private key, which the server accepts. */
  public String clientPrivateKey() {
    return read(dir.resolve("client_key"));
  }

  /** The known_hosts line for this server's host key. */
  public String knownHostsLine() {
    return "[127.0.0.1]:" + port + " " + read(dir.resolve("host_key.pub")).strip() + "\n";
  }

  public int port() {
    return port;
  }

  @Override
  public void close() {
    Stopping.gracefully(process, Duration.ofSeconds(5));
  }

  private static void keygen(Path key) {
    ExternalCommand.of("ssh-keygen", "-q", "-t", "ecdsa", "-b", "256", "-N", "", "-C", "tether-test", "-f", key.toString())
        .run().orThrow();
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
