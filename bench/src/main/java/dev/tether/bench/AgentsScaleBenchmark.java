package dev.tether.bench;

import dev.tether.cli.admin.AdminClient;
import dev.tether.common.text.TextTable;
import dev.tether.testkit.git.GitRepository;
import dev.tether.testkit.metrics.PrometheusText;
import dev.tether.testkit.postgres.PostgresBinaries;
import dev.tether.testkit.postgres.PostgresDatabase;
import dev.tether.testkit.postgres.PostgresServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * N simulated agents ({@link SimulatedFleet}: real gRPC over TLS, a real token each, each holding its
 * configuration stream and a GitOps stream) against one server process, on H2 and on PostgreSQL:
 * the server's heap per idle agent after GC, the connect rate, its CPU per idle agent per minute, a
 * fleet-wide configuration change until every agent has it, and a restart of the server until every
 * agent is connected again, with the refusals meanwhile.
 *
 * <p>The fleet has one config project with a file per agent, as a fleet managed from one repository
 * has, and the change is one commit that changes every agent's file (a fleet-wide setting rolled out at
 * once): the most the server reads and sends for one push. Each agent syncs the same small manifest project.
 */
final class AgentsScaleBenchmark implements Benchmark {
  static final String CONFIG_PROJECT = "bench/fleet-config";
  static final String MANIFEST_PROJECT = "bench/fleet-apps";
  private static final Duration SETTLE = Duration.ofSeconds(10);
  static final Duration HEARTBEAT = Duration.ofSeconds(15);

  private final int agents = Figures.setting("TETHER_BENCH_AGENTS", 1000);
  private final int dialing = Figures.setting("TETHER_BENCH_DIALING", 200);
  private final int replicas = Figures.setting("TETHER_BENCH_REPLICAS", 1);
  private final int idleSeconds = Figures.setting("TETHER_BENCH_IDLE_SECONDS", 60);
  private final List<String> stores = List.of(System.getenv().getOrDefault("TETHER_BENCH_STORES", "h2,postgresql").split(","));
  private final List<String> serverJvm = List.of(System.getenv().getOrDefault("TETHER_BENCH_SERVER_JVM", "-XX:+UseG1GC").split(" "));

  /** One store's figures. */
  private record Round(String store, long emptyHeapKib, long registeredHeapKib, long connectedHeapKib, Duration connect,
      long connectPeak, Duration ready, Duration idleCpu, long threads, Duration configChange, Duration configChangeMedian,
      Duration reconnect, Duration downtime, long reconnectPeak, SimulatedFleet.Failures restartFailures) {

    double heapPerAgentKib(int agents) {
      return (double) (connectedHeapKib - emptyHeapKib) / agents;
    }

    double connectionHeapPerAgentKib(int agents) {
      return (double) (connectedHeapKib - registeredHeapKib) / agents;
    }
  }

  @Override
  public String name() {
    return "agents";
  }

  @Override
  public String description() {
    return "N simulated agents (TETHER_BENCH_AGENTS, default 1000) on one server process, H2 and PostgreSQL: heap per idle agent, "
        + "connect rate, idle CPU, a config change at all N, reconnection after a restart; with TETHER_BENCH_REPLICAS=R, R replicas "
        + "on one PostgreSQL behind a TCP balancer instead, and the reconnection after one is killed";
  }

  @Override
  public void run(Path workDir) throws Exception {
    if (replicas > 1) {
      new ReplicaFailoverRound(agents, dialing, replicas).run(workDir.resolve("replicas"));
      return;
    }
    List<Round> rounds = new ArrayList<>();
    for (String store : stores) {
      switch (store.strip()) {
        case "h2" -> rounds.add(round(workDir.resolve("h2"), Optional.empty()));
        case "postgresql" -> {
          try (PostgresServer postgres = PostgresServer.start(PostgresBinaries.locate(), workDir.resolve("postgres"))) {
            rounds.add(round(workDir.resolve("postgresql"), Optional.of(postgres.createDatabase("tether_bench"))));
          }
        }
        default -> throw new IllegalArgumentException("TETHER_BENCH_STORES names '" + store + "'; use h2, postgresql or both (h2,postgresql)");
      }
    }
    TextTable table = new TextTable("store", "heap per idle agent after GC (of it, the connection)", "connect " + agents
        + ", " + dialing + " dialing at a time: all connected (rate; peak/s)", "server CPU per idle agent per minute", "config change at all " + agents
        + " (median)", "server restart: all connected again after ready (peak/s; down for)", "refused after restart",
        "server threads");
    for (Round r : rounds) {
      table.add(r.store(), String.format("%.1f KiB (%.1f KiB)", r.heapPerAgentKib(agents), r.connectionHeapPerAgentKib(agents)),
          String.format("%.1f s (%.0f/s; %d/s)", seconds(r.connect()), agents / Math.max(0.001, seconds(r.connect())), r.connectPeak()),
          String.format("%.2f ms", r.idleCpu().toNanos() / 1e6 / agents / (idleSeconds / 60.0)),
          String.format("%.2f s (%.2f s)", seconds(r.configChange()), seconds(r.configChangeMedian())),
          String.format("%.1f s (%d/s; %.1f s)", seconds(r.reconnect()), r.reconnectPeak(), seconds(r.downtime())),
          r.restartFailures().refusals() + (r.restartFailures().refusals() == 0 ? "" : " (" + r.restartFailures().examples() + ")"),
          String.valueOf(r.threads()));
    }
    System.out.println();
    System.out.print(table.markdown());
    System.out.printf("%nOne server process (JVM options %s) and the %d simulated agents (this JVM) on the same machine's %d cores. Heap "
        + "is the server's in use after a full GC with the agents connected and idle, less the same before any agent existed "
        + "(in brackets: less the same with the agents registered and their configurations read, not connected). CPU is the "
        + "server process's over %d idle seconds (heartbeats every %d s, keepalives, its own polls). Refused: sessions ended "
        + "with UNAUTHENTICATED or RESOURCE_EXHAUSTED after the restart.%n", String.join(" ", serverJvm), agents,
        Runtime.getRuntime().availableProcessors(), idleSeconds, HEARTBEAT.toSeconds());
  }

  private Round round(Path dir, Optional<PostgresDatabase> database) throws Exception {
    String store = database.isPresent() ? "PostgreSQL" : "H2";
    try (ServerProcess server = ServerProcess.start(dir.resolve("server"), database, serverJvm)) {
      long emptyHeap = JvmTools.heapAfterGcKib(server.pid());
      AdminClient api = new AdminClient(server.httpUrl(), Files.readString(server.adminTokenFile()).strip());
      GitRepository apps = GitRepository.create(dir.resolve("repos"), "apps");
      apps.write("app/configmap.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fleet-app\ndata:\n  greeting: hello\n")
          .commitAndPush("an app for every cluster");
      GitRepository config = GitRepository.create(dir.resolve("repos"), "fleet-config");
      List<String> names = new ArrayList<>();
      for (int i = 0; i < agents; i++) {
        names.add(String.format("agent-%05d", i));
      }
      writeConfigs(config, names, "info");
      config.commitAndPush("a config file per agent");
      api.post("/api/v1/projects", Map.of("id", MANIFEST_PROJECT, "url", apps.bareDir().toString()));
      String hook = api.post("/api/v1/projects", Map.of("id", CONFIG_PROJECT, "url", config.bareDir().toString()))
          .get("webhook_secret").asText();
      long creating = System.nanoTime();
      Map<String, String> tokens = createAgents(api, names);
      System.out.printf("[agents] %s: %d agents created through the admin API in %.1f s%n", store, agents, seconds(since(creating)));
      PushWebhook.announce(server.httpUrl(), CONFIG_PROJECT, hook);
      SimulatedFleet.await(() -> (int) configReads(server), agents, Duration.ofMinutes(10), "the server to read every agent's config");
      long registeredHeap = JvmTools.heapAfterGcKib(server.pid());

      try (SimulatedFleet fleet = new SimulatedFleet(server.agentAddress(), server.caFile(), tokens, HEARTBEAT)) {
        long start = System.nanoTime();
        fleet.connectAll(dialing);
        SimulatedFleet.await(fleet::connected, agents, Duration.ofMinutes(10), "agents to connect");
        Duration connect = since(start);
        long connectPeak = fleet.peakWelcomesPerSecond(start);
        SimulatedFleet.await(() -> (int) fleet.readyCount(), agents, Duration.ofMinutes(10), "agents to hold their configuration and manifests");
        Duration ready = since(start);
        failIfProblem(fleet);
        System.out.printf("[agents] %s: %d connected in %.1f s, with configuration and manifests in %.1f s; failures %s%n", store, agents,
            seconds(connect), seconds(ready), fleet.failures());
        Thread.sleep(SETTLE.toMillis());
        long connectedHeap = JvmTools.heapAfterGcKib(server.pid());
        long threads = JvmTools.threads(server.pid());
        Path histogram = dir.resolve("server-histogram.txt");
        Files.writeString(histogram, JvmTools.classHistogram(server.pid(), 40));
        System.out.printf("[agents] %s: server heap after GC %d KiB empty, %d KiB registered, %d KiB connected; %d threads; "
            + "class histogram in %s%n", store, emptyHeap, registeredHeap, connectedHeap, threads, histogram);

        Duration cpuBefore = JvmTools.cpuTime(server.pid());
        Thread.sleep(idleSeconds * 1000L);
        Duration idleCpu = JvmTools.cpuTime(server.pid()).minus(cpuBefore);
        System.out.printf("[agents] %s: server CPU over %d idle seconds: %d ms (%.2f ms per agent per minute)%n", store, idleSeconds,
            idleCpu.toMillis(), idleCpu.toNanos() / 1e6 / agents / (idleSeconds / 60.0));

        writeConfigs(config, names, "debug");
        String commit = config.commitAndPush("every agent logs at debug");
        long pushed = System.nanoTime();
        PushWebhook.announce(server.httpUrl(), CONFIG_PROJECT, hook);
        SimulatedFleet.await(() -> (int) fleet.agents().stream().filter(a -> a.configCommit().equals(commit)).count(), agents,
            Duration.ofMinutes(5), "the config change to reach every agent");
        long[] arrivals = fleet.agents().stream().mapToLong(a -> a.configArrivedNanos() - pushed).sorted().toArray();
        Duration configChange = Duration.ofNanos(arrivals[arrivals.length - 1]);
        Duration configMedian = Duration.ofNanos(arrivals[arrivals.length / 2]);
        failIfProblem(fleet);
        System.out.printf("[agents] %s: config change at all %d in %.2f s (median %.2f s)%n", store, agents, seconds(configChange),
            seconds(configMedian));

        SimulatedFleet.Failures before = fleet.failures();
        long stopping = System.nanoTime();
        server.stop();
        server.startAgain();
        long up = System.nanoTime();
        Duration reconnect = SimulatedFleet.await(fleet::connected, agents, Duration.ofMinutes(10), "agents to reconnect after the restart");
        long reconnectPeak = fleet.peakWelcomesPerSecond(up);
        SimulatedFleet.Failures after = fleet.failures();
        SimulatedFleet.Failures restart = new SimulatedFleet.Failures(after.unauthenticated() - before.unauthenticated(),
            after.resourceExhausted() - before.resourceExhausted(), after.other() - before.other(), after.examples());
        SimulatedFleet.await(() -> (int) fleet.readyCount(), agents, Duration.ofMinutes(5), "agents to hold their streams after the restart");
        failIfProblem(fleet);
        System.out.printf("[agents] %s: restart: down %.1f s, all %d connected %.1f s after the server was ready (peak %d/s); "
            + "sessions ended meanwhile: %s; manifests errors since the start: %s%n", store, seconds(Duration.ofNanos(up - stopping)), agents,
            seconds(reconnect), reconnectPeak, restart, fleet.manifestsErrors());
        return new Round(store, emptyHeap, registeredHeap, connectedHeap, connect, connectPeak, ready, idleCpu, threads, configChange,
            configMedian, reconnect, Duration.ofNanos(up - stopping), reconnectPeak, restart);
      }
    }
  }

  static void writeConfigs(GitRepository config, List<String> names, String logLevel) {
    for (String name : names) {
      config.write(".gitlab/agents/" + name + "/config.yaml", "gitops:\n  manifest_projects:\n    - id: " + MANIFEST_PROJECT
          + "\n      default_namespace: fleet\nobservability:\n  logging:\n    level: " + logLevel + "\n");
    }
  }

  /** Agents and their tokens, made through the admin API as an operator's script would, a few at a time. */
  static Map<String, String> createAgents(AdminClient api, List<String> names) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<String>> secrets = new ArrayList<>();
      for (String name : names) {
        secrets.add(pool.submit(() -> api.post("/api/v1/agents", Map.of("name", name, "config_project", CONFIG_PROJECT))
            .get("secret").asText()));
      }
      Map<String, String> tokens = new LinkedHashMap<>();
      for (int i = 0; i < names.size(); i++) {
        tokens.put(names.get(i), secrets.get(i).get());
      }
      return tokens;
    } finally {
      pool.shutdown();
    }
  }

  private static long configReads(ServerProcess server) {
    return Math.round(PrometheusText.scrape(server.httpUrl() + "/metrics").sumOrZero("tether_config_reads_total", "result", "valid"));
  }

  static void failIfProblem(SimulatedFleet fleet) {
    if (fleet.problem() != null) {
      throw new IllegalStateException("a simulated agent failed: " + fleet.problem());
    }
  }

  static Duration since(long nanos) {
    return Duration.ofNanos(System.nanoTime() - nanos);
  }

  static double seconds(Duration d) {
    return d.toNanos() / 1e9;
  }
}
