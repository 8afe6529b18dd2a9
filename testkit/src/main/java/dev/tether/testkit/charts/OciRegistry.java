package dev.tether.testkit.charts;

import dev.tether.testkit.process.FreePort;
import dev.tether.testkit.process.Listening;
import dev.tether.testkit.process.Stopping;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * The CNCF distribution registry (built by tools/charts/build.sh) on a free loopback port, plain
 * HTTP, with htpasswd (bcrypt) basic authentication, its storage in a folder of the test's. Charts
 * are pushed to it with the real {@code helm push}.
 */
public final class OciRegistry implements AutoCloseable {
  private final Process process;
  private final int port;
  private final ChartTools tools;
  private final Path dir;

  private OciRegistry(Process process, int port, ChartTools tools, Path dir) {
    this.process = process;
    this.port = port;
    this.tools = tools;
    this.dir = dir;
  }

  public static OciRegistry start(Path dir, ChartTools tools, String username, String password) {
    return start(dir, tools, username, password, null);
  }

  /**
   * With a token service, the registry answers a Bearer challenge that sends clients to it for a
   * token (Docker's token authentication) instead of taking basic credentials itself.
   */
  public static OciRegistry start(Path dir, ChartTools tools, String username, String password, OciTokenService tokens) {
    int port = FreePort.pick();
    try {
      Files.createDirectories(dir.resolve("storage"));
      // bcrypt, as the registry's htpasswd reads it (what `htpasswd -Bbn` writes), made here rather than by another program.
      byte[] salt = new byte[16];
      new SecureRandom().nextBytes(salt);
      Files.writeString(dir.resolve("htpasswd"), username + ":" + OpenBSDBCrypt.generate("2a", password.toCharArray(), salt, 6) + "\n");
      Files.writeString(dir.resolve("config.yml"), """
          version: 0.1
          log:
            level: warn
            accesslog:
              disabled: true
          storage:
            filesystem:
              rootdirectory: %s
          http:
            addr: 127.0.0.1:%d
          auth:
          %s""".formatted(dir.resolve("storage"), port, tokens == null
          ? "  htpasswd:\n    realm: tether-test-registry\n    path: " + dir.resolve("htpasswd") + "\n"
          : "  token:\n    realm: " + tokens.realm() + "\n    service: tether-test-registry\n    issuer: " + OciTokenService.ISSUER
              + "\n    rootcertbundle: " + dir.resolve("token-issuer.pem") + "\n"));
      if (tokens != null) {
        Files.writeString(dir.resolve("token-issuer.pem"), tokens.certificatePem());
      }
      Process process = new ProcessBuilder(tools.registry().toString(), "serve", dir.resolve("config.yml").toString())
          .redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile()).start();
      if (!Listening.await(process, port, Duration.ofSeconds(30))) {
        Stopping.gracefully(process, Duration.ofSeconds(5));
        throw new IllegalStateException("the registry did not listen on 127.0.0.1:" + port + ": "
            + Files.readString(dir.resolve("registry.log")));
      }
      OciRegistry registry = new OciRegistry(process, port, tools, dir);
      tools.helm("registry", "login", registry.host(), "--username", username, "--password", password, "--plain-http");
      return registry;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the registry: " + e.getMessage(), e);
    }
  }

  /** {@code 127.0.0.1:<port>} */
  public String host() {
    return "127.0.0.1:" + port;
  }

  /** {@code oci://127.0.0.1:<port>/<path>}, a repository as a source names it. */
  public String url(String path) {
    return "oci://" + host() + "/" + path;
  }

  /** Packages the chart folder and pushes it under {@code path} with helm, as a chart's publisher would. */
  public void push(Path chart, String path) {
    Path archive = tools.packageChart(chart, dir.resolve("packages"));
    tools.helm("push", archive.toString(), url(path), "--plain-http");
  }

  @Override
  public void close() {
    Stopping.gracefully(process, Duration.ofSeconds(5));
  }

  /** The log the registry wrote, for a failing test's message. */
  public String log() {
    try {
      return Files.readString(dir.resolve("registry.log"), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }
}
