package dev.tether.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.agent.AgentSettings;
import dev.tether.agent.TetherAgent;
import dev.tether.cli.admin.AdminClient;
import dev.tether.common.kubeproxy.ProxyKubeconfig;
import dev.tether.common.text.TextTable;
import dev.tether.server.ServerSettings;
import dev.tether.server.git.GitUrlPolicy;
import dev.tether.server.kubeproxy.ProxyRequestRate;
import dev.tether.server.TetherServer;
import dev.tether.testkit.git.GitRepository;
import dev.tether.testkit.k8s.KubeBinaries;
import dev.tether.testkit.k8s.KubeControlPlane;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * What the Kubernetes API proxy adds, measured the same way through the proxy (server, tunnel,
 * agent) and straight to the API server in the same run: the GET requests `kubectl get` makes, for
 * one object and for a list of 1000, and `kubectl get` itself run as a process, as a CI job runs it.
 * The same GETs go through {@link TwoHopProxyReference} too, when it is built: what any proxy with
 * Tether's two extra TLS hops costs on this machine, so that Tether's ratios can be read against it.
 */
final class KubeProxyBenchmark implements Benchmark {
  private static final int CALLS = 300;
  /** Calls to one target before the next takes its turn. */
  private static final int TURN = 10;
  private static final int KUBECTL_CALLS = 200;
  private static final int KUBECTL_WARM_UP_CALLS = 20;
  private static final Duration THROUGHPUT_WINDOW = Duration.ofSeconds(3);
  /**
   * Calls before measuring, for both targets, at least this long and then until the JIT compiler is
   * idle (see {@link JitCompiler}; here the API server's own time per GET, in its audit log, was
   * twice as long while the compiler was still busy with the proxy's hot path).
   */
  private static final Duration WARM_UP = Duration.ofSeconds(8);
  private static final Duration IDLE_SAMPLE = Duration.ofSeconds(5);
  private static final Duration WARM_UP_CAP = Duration.ofSeconds(300);
  private static final int IDLE_SECONDS = 5;

  @Override
  public String name() {
    return "kube-proxy";
  }

  @Override
  public String description() {
    return "kubectl get (one object, a list of 1000) through the proxy vs directly: p50/p99 over " + CALLS
        + " calls, throughput at concurrency 1, 16, 64";
  }

  /** Where the calls go; {@code outsideCpu} is the CPU time of whatever serves them outside this JVM besides the control plane. */
  private record Target(String name, String base, String token, SSLContext tls, Path kubeconfig, Supplier<Duration> outsideCpu) {}

  /**
   * Sorted latencies of sequential calls, how long they took together, and the CPU used meanwhile by
   * the control plane, this JVM, whatever serves the calls outside it, and this JVM's JIT compiler.
   */
  private record Calls(long[] nanos, Duration elapsed, Duration planeCpu, Duration jvmCpu, Duration outsideCpu, long jitMillis) {
    String perCall(Duration cpu) {
      return String.format("%.2f ms", cpu.toNanos() / 1e6 / nanos.length);
    }

    /** The control plane's CPU per call, less what it uses anyway while idle (etcd, controllers) over the same time. */
    String planePerCall(double idleCoresBusy) {
      return perCall(planeCpu.minusNanos((long) (elapsed.toNanos() * idleCoresBusy)));
    }
  }

  @Override
  public void run(Path workDir) throws Exception {
    KubeBinaries binaries = KubeBinaries.locate();
    Path kubectl = binaries.kubectl();
    KubeControlPlane plane = KubeControlPlane.start(binaries, workDir.resolve("control-plane"));
    TetherServer server = null;
    TetherAgent agent = null;
    TwoHopProxyReference reference = null;
    Optional<Target> referenceTarget = Optional.empty();
    try (KubernetesClient admin = plane.newAdminClient("bench")) {
      Figures.createNamespace(admin, "bench");
      admin.configMaps().resource(new ConfigMapBuilder().withNewMetadata().withName("one").endMetadata().addToData("a", "b").build()).create();
      ExecutorService creators = Executors.newFixedThreadPool(16);
      List<CompletableFuture<?>> creates = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        String name = "item-" + i;
        creates.add(CompletableFuture.runAsync(() -> admin.configMaps().inNamespace("list").resource(new ConfigMapBuilder()
            .withNewMetadata().withName(name).endMetadata().addToData("payload", "x".repeat(100)).build()).createOr(c -> c.update()), creators));
        if (i == 0) {
          Figures.createNamespace(admin, "list");
        }
      }
      creates.forEach(CompletableFuture::join);
      creators.shutdown();

      // No limit on requests per access token: the calls here are one token's, far above any CI job's rate on purpose.
      server = new TetherServer(ServerSettings.local(workDir.resolve("server")).withGitUrls(GitUrlPolicy.of(List.of(), true))
          .withProxyRequestRate(new ProxyRequestRate(0, 0))).start();
      AdminClient api = new AdminClient(server.httpUrl(), Files.readString(server.adminTokenFile()).strip());
      GitRepository config = GitRepository.create(workDir.resolve("repos"), "config");
      config.write(".gitlab/agents/bench/config.yaml", "ci_access:\n  projects:\n    - id: bench/ci\n").commitAndPush("config");
      api.post("/api/v1/projects", Map.of("id", "bench/config", "url", config.bareDir().toString()));
      JsonNode created = api.post("/api/v1/agents", Map.of("name", "bench", "config_project", "bench/config"));
      Path agentToken = workDir.resolve("agent.token");
      Files.writeString(agentToken, created.get("secret").asText());
      String access = api.post("/api/v1/access-tokens", Map.of("project", "bench/ci")).get("secret").asText();
      agent = new TetherAgent(new AgentSettings("127.0.0.1:" + server.agentAddress().getPort(), agentToken, server.devCaFile(),
          Optional.of(plane.kubeconfig()), AgentSettings.DEFAULT_HEARTBEAT, Optional.empty(), false)).start();
      TetherAgent running = agent;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (running.configuration().isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }

      Supplier<Duration> none = () -> Duration.ZERO;
      Target direct = new Target("direct", plane.url(), plane.adminToken(), trusting(plane.caFile()), plane.kubeconfig(), none);
      Path proxyKubeconfig = workDir.resolve("proxy.kubeconfig");
      Files.writeString(proxyKubeconfig, ProxyKubeconfig.yaml("bench", access, server.kubeProxyUrl(),
          Optional.of(Files.readString(server.devCaFile().orElseThrow())), Optional.empty()));
      Target proxy = new Target("through Tether", server.kubeProxyUrl(), "bench:" + access, trusting(server.devCaFile().orElseThrow()),
          proxyKubeconfig, none);
      Optional<Path> referenceBinary = TwoHopProxyReference.binary();
      if (referenceBinary.isPresent()) {
        reference = TwoHopProxyReference.start(referenceBinary.get(), plane, workDir.resolve("reference"), access);
        referenceTarget = Optional.of(new Target("two Go proxy hops", reference.url(), access, trusting(reference.caFile()), null,
            reference::cpuTime));
      } else {
        System.out.printf("[kube-proxy] no reference proxy: %s is not set (tools/bench.sh sets it)%n", TwoHopProxyReference.DIR_VARIABLE);
      }
      TextTable table = new TextTable("request", "direct p50 / p99", "Tether p50 / p99", "p50 ratio", "p99 ratio",
          "req/s direct (c=1/16/64)", "req/s Tether (c=1/16/64)", "throughput ratio (c=1/16/64)");
      TextTable cpu = new TextTable("request", "control plane CPU per call, direct / Tether", "this JVM's CPU per call, direct / Tether",
          "JIT compiler during the calls, direct / Tether");
      TextTable hops = new TextTable("request", "direct p50 / p99", "two Go proxy hops p50 / p99", "p50 ratio", "p99 ratio",
          "Tether's p50 / p99 ratios", "the hops' CPU per call");
      Duration idleBefore = plane.cpuTime();
      Thread.sleep(IDLE_SAMPLE.toMillis());
      double idleCoresBusy = (double) plane.cpuTime().minus(idleBefore).toNanos() / IDLE_SAMPLE.toNanos();
      for (String[] request : new String[][] {{"get one object", "/api/v1/namespaces/bench/configmaps/one"},
          {"list 1000 objects", "/api/v1/namespaces/list/configmaps"}}) {
        List<Target> targets = new ArrayList<>(List.of(direct, proxy));
        referenceTarget.ifPresent(targets::add);
        List<Calls> measured = interleaved(plane, targets, request[1]);
        Calls directCalls = measured.get(0);
        Calls tetherCalls = measured.get(1);
        long[] d = directCalls.nanos();
        long[] t = tetherCalls.nanos();
        if (referenceTarget.isPresent()) {
          Calls referenceCalls = measured.get(2);
          long[] r = referenceCalls.nanos();
          hops.add(request[0], ms(pct(d, 50)) + " / " + ms(pct(d, 99)), ms(pct(r, 50)) + " / " + ms(pct(r, 99)),
              ratio(r, d, 50), ratio(r, d, 99), ratio(t, d, 50) + " / " + ratio(t, d, 99), referenceCalls.perCall(referenceCalls.outsideCpu()));
          System.out.printf("[kube-proxy] %s through two Go proxy hops: p50 %s, p99 %s%n", request[0], ms(pct(r, 50)), ms(pct(r, 99)));
        }
        cpu.add(request[0], directCalls.planePerCall(idleCoresBusy) + " / " + tetherCalls.planePerCall(idleCoresBusy),
            directCalls.perCall(directCalls.jvmCpu()) + " / " + tetherCalls.perCall(tetherCalls.jvmCpu()),
            directCalls.jitMillis() + " ms / " + tetherCalls.jitMillis() + " ms");
        double[] dr = new double[3];
        double[] tr = new double[3];
        int[] levels = {1, 16, 64};
        for (int i = 0; i < levels.length; i++) {
          dr[i] = throughput(direct, request[1], levels[i]);
          tr[i] = throughput(proxy, request[1], levels[i]);
        }
        addRow(table, request[0], d, t, String.format("%.0f / %.0f / %.0f", dr[0], dr[1], dr[2]),
            String.format("%.0f / %.0f / %.0f", tr[0], tr[1], tr[2]),
            String.format("%.2f× / %.2f× / %.2f×", tr[0] / dr[0], tr[1] / dr[1], tr[2] / dr[2]));
      }
      for (String[] command : new String[][] {{"kubectl get one object", "get", "configmap", "one", "-n", "bench"},
          {"kubectl get 1000 objects", "get", "configmaps", "-n", "list"}}) {
        long[] d = kubectlLatencies(kubectl, direct, workDir, Arrays.copyOfRange(command, 1, command.length));
        long[] t = kubectlLatencies(kubectl, proxy, workDir, Arrays.copyOfRange(command, 1, command.length));
        addRow(table, command[0] + " (process)", d, t, "", "", "");
      }
      System.out.println();
      System.out.print(table.markdown());
      System.out.println("\nThe first two rows: GET requests as kubectl makes them, from a client in this JVM, over HTTP/2 and TLS in both"
          + " cases, " + CALLS + " sequential calls after at least " + WARM_UP.toSeconds() + " s of the same calls and until the JIT"
          + " compiler stayed idle for " + IDLE_SECONDS + " s, direct and through Tether taking turns of " + TURN + " calls; throughput over " + THROUGHPUT_WINDOW.toSeconds() + " s per level. The (process) rows: the kubectl"
          + " binary run " + KUBECTL_CALLS + " times one after another (after " + KUBECTL_WARM_UP_CALLS + " that fill its discovery"
          + " cache), each a new process, as a CI job runs it. Server, agent, API server, etcd and the clients share this"
          + " machine's " + Runtime.getRuntime().availableProcessors() + " cores.");
      System.out.println();
      System.out.print(cpu.markdown());
      System.out.println("\nCPU time per call during the " + CALLS + " sequential calls of the first two rows: etcd, kube-apiserver and"
          + " kube-controller-manager together, less the " + String.format("%.0f", idleCoresBusy * 1000) + " ms per second they"
          + " used while idle (measured over " + IDLE_SAMPLE.toSeconds() + " s before the calls); and this JVM, which holds the client"
          + " in both cases and, through Tether, also the server and the agent. At one call at a time each of them adds its CPU"
          + " time to the latency. The JIT compiler's CPU time (part of this JVM's) during each target's turns shows whether it"
          + " still took a core from the calls.");
      if (referenceTarget.isPresent()) {
        System.out.println();
        System.out.print(hops.markdown());
        System.out.println("\nThe reference (bench/reference/two-hop-proxy): the same calls through two TLS hops of Go's standard"
            + " reverse proxy, the shape of Tether's proxy (client to a front, one HTTP/2 connection from the front to a back,"
            + " HTTP/1.1 from the back to the API server) without its tunnel protocol, authorization or impersonation; its calls"
            + " took turns with the direct ones and Tether's of the same row. Its CPU per call is that process's own.");
      }
    } finally {
      if (reference != null) {
        reference.close();
      }
      if (agent != null) {
        agent.close();
      }
      if (server != null) {
        server.close();
      }
      plane.close();
      plane.deleteFilesKeepingLogs();
    }
  }

  /** One row of the table, and the same figures on the console as they come. */
  private static void addRow(TextTable table, String what, long[] direct, long[] tether, String directRate, String tetherRate,
      String rateRatio) {
    table.add(what, ms(pct(direct, 50)) + " / " + ms(pct(direct, 99)), ms(pct(tether, 50)) + " / " + ms(pct(tether, 99)),
        ratio(tether, direct, 50), ratio(tether, direct, 99), directRate, tetherRate, rateRatio);
    System.out.printf("[kube-proxy] %s: p50 %s vs %s, p99 %s vs %s%n", what, ms(pct(tether, 50)), ms(pct(direct, 50)),
        ms(pct(tether, 99)), ms(pct(direct, 99)));
  }

  /**
   * {@link #CALLS} sequential calls to each target, after its warm-up, taken in turns of {@link #TURN}
   * calls per target (the first target of a turn rotating), so that every target meets the same
   * moments of this shared, noisy machine and their ratios compare like with like.
   */
  private static List<Calls> interleaved(KubeControlPlane plane, List<Target> targets, String path) throws Exception {
    int n = targets.size();
    List<HttpClient> clients = new ArrayList<>();
    for (Target target : targets) {
      HttpClient client = HttpClient.newBuilder().sslContext(target.tls()).build();
      warmUp(client, target, path);
      clients.add(client);
    }
    long[][] nanos = new long[n][CALLS];
    Duration[] planeCpu = new Duration[n];
    Duration[] jvmCpu = new Duration[n];
    Duration[] outsideCpu = new Duration[n];
    long[] jitMillis = new long[n];
    JitCompiler jit = new JitCompiler();
    Arrays.fill(planeCpu, Duration.ZERO);
    Arrays.fill(jvmCpu, Duration.ZERO);
    Arrays.fill(outsideCpu, Duration.ZERO);
    for (int done = 0, turn = 0; done < CALLS; done += TURN, turn++) {
      int calls = Math.min(TURN, CALLS - done);
      for (int k = 0; k < n; k++) {
        int i = (turn + k) % n;
        Target target = targets.get(i);
        Duration planeBefore = plane.cpuTime();
        Duration jvmBefore = ProcessCpu.used();
        Duration outsideBefore = target.outsideCpu().get();
        long jitBefore = jit.totalMillis();
        for (int c = done; c < done + calls; c++) {
          long start = System.nanoTime();
          get(clients.get(i), target, path);
          nanos[i][c] = System.nanoTime() - start;
        }
        planeCpu[i] = planeCpu[i].plus(plane.cpuTime().minus(planeBefore));
        jvmCpu[i] = jvmCpu[i].plus(ProcessCpu.used().minus(jvmBefore));
        outsideCpu[i] = outsideCpu[i].plus(target.outsideCpu().get().minus(outsideBefore));
        jitMillis[i] += jit.totalMillis() - jitBefore;
      }
    }
    List<Calls> result = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Duration elapsed = Duration.ofNanos(Arrays.stream(nanos[i]).sum());
      Arrays.sort(nanos[i]);
      result.add(new Calls(nanos[i], elapsed, planeCpu[i], jvmCpu[i], outsideCpu[i], jitMillis[i]));
    }
    return result;
  }

  /**
   * Calls for at least {@link #WARM_UP}, then until {@link #IDLE_SECONDS} seconds of calls in a row
   * each compiled (almost) nothing. One quiet second is not enough: on two cores the compiler works
   * through its queue of the proxy's methods for a minute or more, with pauses, and each burst took
   * a core from the calls measured (Tether's p99 was twice what it is once the compiler stays idle).
   */
  private static void warmUp(HttpClient client, Target target, String path) throws Exception {
    JitCompiler jit = new JitCompiler();
    long began = System.nanoTime();
    long checked = began;
    long compiled = jit.totalMillis();
    int idleSeconds = 0;
    while (true) {
      get(client, target, path);
      long now = System.nanoTime();
      if (now - checked >= TimeUnit.SECONDS.toNanos(1)) {
        long total = jit.totalMillis();
        idleSeconds = total - compiled < JitCompiler.IDLE_MILLIS_PER_SECOND ? idleSeconds + 1 : 0;
        compiled = total;
        checked = now;
        boolean idle = idleSeconds >= IDLE_SECONDS;
        if ((idle && now - began >= WARM_UP.toNanos()) || now - began >= WARM_UP_CAP.toNanos()) {
          System.out.printf("[kube-proxy] %s %s: warmed up in %d s%s%n", target.name(), path, TimeUnit.NANOSECONDS.toSeconds(now - began),
              idle ? "" : " (the JIT compiler was still busy)");
          return;
        }
      }
    }
  }


  /** The kubectl binary run as a process, one run after another; each run's wall time. */
  private static long[] kubectlLatencies(Path kubectl, Target target, Path workDir, String... args) throws Exception {
    Path cache = workDir.resolve("kubectl-cache-" + target.name().replace(' ', '-'));
    List<String> command = new ArrayList<>(List.of(kubectl.toString(), "--kubeconfig",
        target.kubeconfig().toString(), "--cache-dir", cache.toString()));
    command.addAll(Arrays.asList(args));
    for (int i = 0; i < KUBECTL_WARM_UP_CALLS; i++) {
      runKubectl(command, target);
    }
    long[] nanos = new long[KUBECTL_CALLS];
    for (int i = 0; i < KUBECTL_CALLS; i++) {
      long start = System.nanoTime();
      runKubectl(command, target);
      nanos[i] = System.nanoTime() - start;
    }
    Arrays.sort(nanos);
    return nanos;
  }

  private static void runKubectl(List<String> command, Target target) throws Exception {
    Process process = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(ProcessBuilder.Redirect.PIPE).start();
    String errors = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    if (process.waitFor() != 0) {
      throw new IllegalStateException("kubectl " + target.name() + " failed: " + errors.strip());
    }
  }

  private static double throughput(Target target, String path, int concurrency) throws Exception {
    HttpClient client = HttpClient.newBuilder().sslContext(target.tls()).build();
    AtomicLong done = new AtomicLong();
    long end = System.nanoTime() + THROUGHPUT_WINDOW.toNanos();
    ExecutorService workers = Executors.newFixedThreadPool(concurrency);
    List<CompletableFuture<?>> running = new ArrayList<>();
    for (int w = 0; w < concurrency; w++) {
      running.add(CompletableFuture.runAsync(() -> {
        while (System.nanoTime() < end) {
          try {
            get(client, target, path);
            done.incrementAndGet();
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }
      }, workers));
    }
    running.forEach(CompletableFuture::join);
    workers.shutdown();
    return done.get() / (double) THROUGHPUT_WINDOW.toSeconds();
  }

  private static void get(HttpClient client, Target target, String path) throws Exception {
    HttpResponse<byte[]> response = client.send(HttpRequest.newBuilder(URI.create(target.base() + path))
        .header("Authorization", "Bearer " + target.token()).header("Accept", "application/json").GET().build(),
        HttpResponse.BodyHandlers.ofByteArray());
    if (response.statusCode() != 200) {
      throw new IllegalStateException(target.name() + " " + path + ": HTTP " + response.statusCode() + " " + new String(response.body()));
    }
  }

  private static String ratio(long[] sorted, long[] base, int p) {
    return String.format("%.2f×", (double) pct(sorted, p) / pct(base, p));
  }

  private static long pct(long[] sorted, int p) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
  }

  private static String ms(long nanos) {
    return String.format("%.2f ms", nanos / 1e6);
  }

  private static SSLContext trusting(Path ca) throws Exception {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(Files.newInputStream(ca)));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    return ssl;
  }
}
