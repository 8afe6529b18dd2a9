package dev.tether.bench;

import dev.tether.testkit.k8s.KubeControlPlane;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The reference the proxy's figures are read against: bench/reference/two-hop-proxy, two TLS hops of
 * Go's standard reverse proxy in front of the API server, the shape of Tether's proxy without its
 * tunnel protocol. Built by bench/reference/build.sh, found through {@value #DIR_VARIABLE}.
 */
final class TwoHopProxyReference implements AutoCloseable {
  static final String DIR_VARIABLE = "TETHER_BENCH_REFERENCE_DIR";
  private static final long START_SECONDS = 20;

  private final Process process;
  private final String url;
  private final Path caFile;

  private TwoHopProxyReference(Process process, String url, Path caFile) {
    this.process = process;
    this.url = url;
    this.caFile = caFile;
  }

  /** The built reference, when bench/reference/build.sh ran (tools/bench.sh runs it). */
  static Optional<Path> binary() {
    return Optional.ofNullable(System.getenv(DIR_VARIABLE)).map(dir -> Path.of(dir, "two-hop-proxy")).filter(Files::isExecutable);
  }

  /** Starts it in front of the control plane's API server; clients send {@code clientToken}. */
  static TwoHopProxyReference start(Path binary, KubeControlPlane plane, Path workDir, String clientToken) throws Exception {
    Files.createDirectories(workDir);
    Path upstreamToken = Files.writeString(workDir.resolve("upstream.token"), plane.adminToken());
    Path clientTokenFile = Files.writeString(workDir.resolve("client.token"), clientToken);
    Path caFile = workDir.resolve("ca.crt");
    Process process = new ProcessBuilder(List.of(binary.toString(), "-upstream", plane.url(), "-upstream-ca",
        plane.caFile().toString(), "-upstream-token-file", upstreamToken.toString(), "-client-token-file",
        clientTokenFile.toString(), "-ca-out", caFile.toString()))
        .redirectError(workDir.resolve("two-hop-proxy.log").toFile()).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> {
      try {
        return out.readLine();
      } catch (IOException e) {
        return null;
      }
    });
    String line;
    try {
      line = ready.get(START_SECONDS, TimeUnit.SECONDS);
    } catch (Exception e) {
      line = null;
    }
    if (line == null || !line.startsWith("ready ")) {
      process.destroyForcibly();
      throw new IllegalStateException("the reference proxy " + binary + " did not start; see " + workDir.resolve("two-hop-proxy.log"));
    }
    return new TwoHopProxyReference(process, line.substring("ready ".length()).strip(), caFile);
  }

  String url() {
    return url;
  }

  Path caFile() {
    return caFile;
  }

  /** CPU time the reference has used so far. */
  Duration cpuTime() {
    return process.info().totalCpuDuration().orElse(Duration.ZERO);
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(5, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
