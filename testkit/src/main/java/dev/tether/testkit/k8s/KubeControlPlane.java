package dev.tether.testkit.k8s;

import dev.tether.testkit.process.ExternalCommand;
import dev.tether.testkit.process.FreePort;
import dev.tether.testkit.process.ProcessResult;
import dev.tether.testkit.process.Stopping;
import dev.tether.testkit.process.Watchdog;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Kubernetes control plane on loopback: etcd, kube-apiserver (RBAC on, service-account
 * signing key, bound to 127.0.0.1) and a kube-controller-manager that runs only the controllers a
 * cluster without nodes still needs (namespace deletion, garbage collection, default service
 * accounts). There is no scheduler or kubelet: pods never run and workloads never become ready,
 * unless a test starts a {@link TestNode} and binds pods to it.
 */
public final class KubeControlPlane implements AutoCloseable {
  private static final Duration ETCD_START = Duration.ofSeconds(30);
  private static final Duration APISERVER_START = Duration.ofSeconds(120);
  private static final int START_ATTEMPTS = 3;

  private final KubeBinaries binaries;
  private final Path workDir;
  private final Path logDir;
  private final List<RunningProgram> programs = new ArrayList<>();
  private String url;
  private String adminToken;
  private Path caFile;
  private ControlPlaneFiles files;
  private Path kubeconfig;
  private HttpClient http;
  private Process watchdog;
  private boolean closed;
  private StartupTimes startupTimes;

  /** How long each part took to become ready, in milliseconds. */
  public record StartupTimes(long etcdMillis, long apiServerMillis, long controllerManagerMillis, long totalMillis) {}

  private record RunningProgram(String name, List<String> command, Process process, Path log) {}

  private KubeControlPlane(KubeBinaries binaries, Path workDir) {
    this.binaries = binaries;
    this.workDir = workDir;
    this.logDir = workDir.resolve("logs");
  }

  /**
   * Starts a control plane whose files (certificates, etcd data, logs, kubeconfig) live in
   * {@code workDir}, which is emptied first.
   */
  public static KubeControlPlane start(KubeBinaries binaries, Path workDir) {
    IllegalStateException last = null;
    for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      // Absolute: the kubeconfig names its files by path, and the processes started do not share our working directory.
      KubeControlPlane plane = new KubeControlPlane(binaries, workDir.toAbsolutePath());
      try {
        plane.startOnce();
        return plane;
      } catch (IllegalStateException e) {
        // Ports are picked free but can be taken before etcd or the API server binds them.
        last = e;
        plane.close();
        System.out.println("[control-plane] start attempt " + attempt + " failed: " + e.getMessage());
      }
    }
    throw last;
  }

  private void startOnce() {
    long began = System.nanoTime();
    try {
      deleteRecursively(workDir);
      Files.createDirectories(logDir);
      files = ControlPlaneFiles.write(workDir);
      caFile = files.caFile();
      adminToken = files.adminToken();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare control plane folder " + workDir, e);
    }
    http = HttpClient.newBuilder().sslContext(files.trustingCa()).connectTimeout(Duration.ofSeconds(2)).build();

    int etcdPort = FreePort.pick();
    int etcdPeerPort = FreePort.pick();
    String etcdUrl = "http://127.0.0.1:" + etcdPort;
    String peerUrl = "http://127.0.0.1:" + etcdPeerPort;
    launch("etcd", List.of(binaries.etcd().toString(),
        "--name", "tether-test",
        "--data-dir", workDir.resolve("etcd").toString(),
        "--listen-client-urls", etcdUrl, "--advertise-client-urls", etcdUrl,
        "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
        "--initial-cluster", "tether-test=" + peerUrl,
        // Test data is thrown away: durability costs time and buys nothing.
        "--unsafe-no-fsync",
        // A single member need not wait a second to elect itself.
        "--heartbeat-interval", "10", "--election-timeout", "100",
        "--log-level", "warn"));
    awaitHttpOk("etcd", URI.create(etcdUrl + "/health"), null, ETCD_START);
    long etcdReady = System.nanoTime();
    System.out.printf("[control-plane] etcd ready at %s in %d ms%n", etcdUrl, millisSince(began));

    int apiPort = FreePort.pick();
    url = "https://127.0.0.1:" + apiPort;
    launch("kube-apiserver", List.of(binaries.kubeApiServer().toString(),
        "--etcd-servers", etcdUrl,
        "--bind-address", "127.0.0.1",
        "--advertise-address", "127.0.0.1",
        // The default reconciler refuses a loopback advertise address.
        "--endpoint-reconciler-type", "none",
        "--secure-port", String.valueOf(apiPort),
        "--tls-cert-file", files.servingCertificate().toString(),
        "--tls-private-key-file", files.servingKey().toString(),
        "--authorization-mode", "RBAC",
        "--token-auth-file", files.tokens().toString(),
        "--service-account-key-file", files.serviceAccountPublicKey().toString(),
        "--service-account-signing-key-file", files.serviceAccountSigningKey().toString(),
        "--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
        "--service-cluster-ip-range", "10.0.0.0/24",
        "--allow-privileged=true",
        // For a TestNode: the API server dials it for exec, attach and port-forward, as it would a kubelet.
        "--kubelet-client-certificate", files.kubeletClientCertificate().toString(),
        "--kubelet-client-key", files.kubeletClientKey().toString(),
        "--kubelet-certificate-authority", caFile.toString(),
        "--audit-log-path", logDir.resolve("audit.log").toString(),
        "--audit-policy-file", files.auditPolicy().toString()));
    awaitHttpOk("kube-apiserver", URI.create(url + "/readyz"), adminToken, APISERVER_START);
    long apiReady = System.nanoTime();
    System.out.printf("[control-plane] kube-apiserver %s ready at %s in %d ms%n",
        binaries.kubernetesVersion(), url, millisSince(etcdReady));

    kubeconfig = files.writeKubeconfig(url);
    launch("kube-controller-manager", List.of(binaries.kubeControllerManager().toString(),
        "--kubeconfig", kubeconfig.toString(),
        "--controllers", "namespace-controller,garbage-collector-controller,serviceaccount-controller,"
            + "clusterrole-aggregation-controller",
        "--leader-elect=false",
        "--secure-port", "0"));
    // The default ServiceAccount appears once the controller manager works: then namespaces,
    // garbage collection and service accounts behave as in a real cluster.
    awaitHttpOk("kube-controller-manager",
        URI.create(url + "/api/v1/namespaces/default/serviceaccounts/default"), adminToken, Duration.ofSeconds(60));
    startWatchdog();
    startupTimes = new StartupTimes((etcdReady - began) / 1_000_000, (apiReady - etcdReady) / 1_000_000,
        millisSince(apiReady), millisSince(began));
    System.out.printf("[control-plane] started in %d ms (binaries %s, logs %s)%n", millisSince(began), binaries.dir(), logDir);
  }

  public StartupTimes startupTimes() {
    return startupTimes;
  }

  public String url() {
    return url;
  }

  public Path kubeconfig() {
    return kubeconfig;
  }

  public Path caFile() {
    return caFile;
  }

  /** What a node of this control plane serves and trusts: its certificate (for 127.0.0.1) and the CA of the API server's client certificate. */
  public record NodeCredentials(Path certificate, Path key, Path clientCa) {}

  public NodeCredentials nodeCredentials() {
    return new NodeCredentials(files.nodeServingCertificate(), files.nodeServingKey(), caFile);
  }

  public String adminToken() {
    return adminToken;
  }

  public KubeBinaries binaries() {
    return binaries;
  }

  public Path logDir() {
    return logDir;
  }

  /**
   * CPU time used so far by etcd, the API server and the controller manager together, for
   * benchmarks that must tell the control plane's own cost from the client's.
   */
  public Duration cpuTime() {
    Duration total = Duration.ZERO;
    for (RunningProgram program : programs) {
      total = total.plus(program.process().info().totalCpuDuration().orElseThrow(
          () -> new IllegalStateException("this platform does not report the CPU time of " + program.name())));
    }
    return total;
  }

  /** The API server's audit log: one JSON line per request, to count what a test made it do. */
  public Path auditLog() {
    return logDir.resolve("audit.log");
  }

  /** A fabric8 client configuration for the admin user, with {@code namespace} as its default. */
  public Config adminConfig(String namespace) {
    return new ConfigBuilder(Config.empty())
        .withMasterUrl(url)
        .withOauthToken(adminToken)
        .withCaCertFile(caFile.toString())
        .withNamespace(namespace)
        .build();
  }

  public KubernetesClient newAdminClient(String namespace) {
    return new KubernetesClientBuilder().withConfig(adminConfig(namespace)).build();
  }

  /** `kubectl --kubeconfig <admin> args…`, ready to run. */
  public ExternalCommand kubectl(String... args) {
    return ExternalCommand.of(binaries.kubectl().toString(), "--kubeconfig", kubeconfig.toString()).args(args);
  }

  public ProcessResult runKubectl(String... args) {
    return kubectl(args).run();
  }

  private void launch(String name, List<String> command) {
    Path log = logDir.resolve(name + ".log");
    programs.add(new RunningProgram(name, List.copyOf(command), run(command, log), log));
  }

  private static Process run(List<String> command, Path log) {
    try {
      return new ProcessBuilder(command)
          .redirectErrorStream(true)
          // Appended: a program started again keeps what it wrote before it stopped.
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command.get(0) + ": " + e.getMessage(), e);
    }
  }

  /**
   * Ends the API server at once, as a crash or a lost machine would, leaving etcd, its data and the
   * controller manager running; {@link #startApiServer()} brings it back at the same URL. (Asked to stop
   * gracefully, it refuses connections at once but its process lingers for more than 10 s while watches
   * are open, which makes the moment the outage began vague.)
   */
  public synchronized void stopApiServer() {
    requireOpen();
    Process apiServer = program("kube-apiserver").process();
    apiServer.destroyForcibly();
    try {
      if (!apiServer.waitFor(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the API server at " + url + " did not end within 10 s of SIGKILL");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while stopping the API server", e);
    }
  }

  /** Starts the API server stopped by {@link #stopApiServer()} again, same port and arguments, and waits until it is ready. */
  public synchronized void startApiServer() {
    requireOpen();
    RunningProgram stopped = program("kube-apiserver");
    if (stopped.process().isAlive()) {
      throw new IllegalStateException("the API server at " + url + " is running; stop it first");
    }
    programs.set(programs.indexOf(stopped),
        new RunningProgram(stopped.name(), stopped.command(), run(stopped.command(), stopped.log()), stopped.log()));
    // The watchdog knows processes by id: the new API server must be one of them.
    Process previous = watchdog;
    startWatchdog();
    previous.destroyForcibly();
    awaitHttpOk("kube-apiserver", URI.create(url + "/readyz"), adminToken, APISERVER_START);
  }

  private RunningProgram program(String name) {
    return programs.stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("the control plane at " + url + " is closed");
    }
  }

  private void awaitHttpOk(String name, URI uri, String token, Duration timeout) {
    RunningProgram program = program(name);
    long deadline = System.nanoTime() + timeout.toNanos();
    String lastProblem = "no answer yet";
    while (System.nanoTime() < deadline) {
      if (!program.process().isAlive()) {
        throw new IllegalStateException(name + " exited with code " + program.process().exitValue()
            + " before it was ready; its log " + program.log() + " ends with:\n" + tail(program.log()));
      }
      try {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).GET();
        if (token != null) {
          request.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200) {
          return;
        }
        lastProblem = "HTTP " + response.statusCode() + ": " + response.body();
      } catch (IOException e) {
        lastProblem = e.toString();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for " + name, e);
      }
      sleep(100);
    }
    throw new IllegalStateException(name + " was not ready at " + uri + " within " + timeout.toSeconds()
        + " s (" + lastProblem + "); its log " + program.log() + " ends with:\n" + tail(program.log()));
  }

  /** Ends the control plane should this JVM die without running its shutdown hooks. */
  private void startWatchdog() {
    watchdog = Watchdog.start("the control plane", programs.stream().map(RunningProgram::process).toList());
  }

  /** Stops the controller manager, the API server and etcd, in that order. Safe to call twice. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (int i = programs.size() - 1; i >= 0; i--) {
      Process process = programs.get(i).process();
      Stopping.gracefully(process, Duration.ofSeconds(10));
    }
    if (watchdog != null) {
      watchdog.destroyForcibly();
    }
  }

  /** Removes everything but the logs: etcd data and credentials are of no use after a run. */
  public void deleteFilesKeepingLogs() {
    try (Stream<Path> entries = Files.list(workDir)) {
      for (Path entry : entries.toList()) {
        if (!entry.equals(logDir)) {
          deleteRecursively(entry);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clean " + workDir, e);
    }
  }

  /** Removes the whole work folder, logs included. */
  public void deleteAll() {
    try {
      deleteRecursively(workDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + workDir, e);
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(unreadable: " + e.getMessage() + ")";
    }
  }

  private static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(path)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static long millisSince(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
