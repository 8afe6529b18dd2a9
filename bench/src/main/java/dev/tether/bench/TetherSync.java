package dev.tether.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.agent.AgentSettings;
import dev.tether.agent.TetherAgent;
import dev.tether.agent.gitops.SyncOutcome;
import dev.tether.cli.admin.AdminClient;
import dev.tether.server.ServerSettings;
import dev.tether.server.TetherServer;
import dev.tether.server.git.GitUrlPolicy;
import dev.tether.testkit.git.GitRepository;
import dev.tether.testkit.k8s.AuditLog;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.metrics.PrometheusText;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Tether's turn: a server and an agent in this JVM; each run is a new manifest project added to the
 * agent's configuration and pushed, announced by the push webhook as a Git host does, then a no-op
 * resync of it. The agent starts with the first run and keeps running, as a deployed agent does.
 */
final class TetherSync implements AutoCloseable {
  private static final String USER_AGENT_PREFIX = "tether-agent/";
  /** No-op resyncs per run (TETHER_BENCH_RESYNCS, default 1): the first is measured, the others printed, for a closer look. */
  private static final int RESYNCS = Integer.parseInt(System.getenv().getOrDefault("TETHER_BENCH_RESYNCS", "1"));

  /** Tether's run plus what only Tether has: push to applied, and this JVM's CPU time. */
  record Run(SyncRun sync, long pushToAppliedMs, Duration jvmCpu, long jitMs) {}

  /** A commit synced after a push: from the push to the agent's sync at that commit, the sync's own time, and its requests. */
  record Pushed(long pushToAppliedMs, long syncMs, ApiRequests requests) {}

  /** A manifest project a run added: its repository and the secret of its push webhook. */
  private record Project(String id, GitRepository repo, String webhookSecret) {}

  private final KubeControlPlane plane;
  private final AuditLog audit;
  private final JitCompiler jit;
  private final Path workDir;
  private final StringBuilder projects = new StringBuilder("gitops:\n  manifest_projects:\n");
  private final TetherServer server;
  private final AdminClient api;
  private final GitRepository config;
  private final String configHook;
  private final Path token;
  private final Map<String, Project> byLabel = new java.util.HashMap<>();
  private TetherAgent agent;

  TetherSync(KubeControlPlane plane, AuditLog audit, JitCompiler jit, Path workDir) throws Exception {
    this.plane = plane;
    this.audit = audit;
    this.jit = jit;
    this.workDir = workDir;
    server = new TetherServer(ServerSettings.local(workDir.resolve("server")).withPollInterval(Duration.ofHours(1))
        .withGitUrls(GitUrlPolicy.of(List.of(), true)).withKustomizePath(plane.binaries().kustomize())).start();
    api = new AdminClient(server.httpUrl(), Files.readString(server.adminTokenFile()).strip());
    config = GitRepository.create(workDir.resolve("repos"), "config");
    config.write("README.md", "configs\n").commitAndPush("start");
    configHook = api.post("/api/v1/projects", Map.of("id", "bench/config", "url", config.bareDir().toString()))
        .get("webhook_secret").asText();
    JsonNode created = api.post("/api/v1/agents", Map.of("name", "bench", "config_project", "bench/config"));
    token = workDir.resolve("bench.token");
    Files.writeString(token, created.get("secret").asText());
  }

  /** A new manifest project of the files, synced into {@code namespace} (which exists and is empty); then a no-op resync. */
  Run run(String label, Path files, String namespace) throws Exception {
    return run(label, files, namespace, "");
  }

  /**
   * As {@link #run(String, Path, String)}, with more keys of the project's entry in the agent's
   * configuration (YAML, indented as an entry's keys: {@code "      kustomize: {path: overlay}\n"}),
   * such as the source that renders the files.
   */
  Run run(String label, Path files, String namespace, String entryKeys) throws Exception {
    GitRepository repo = GitRepository.fromFolder(workDir.resolve("repos"), "manifests-" + label, files);
    String projectId = "bench/manifests-" + label;
    String hook = api.post("/api/v1/projects", Map.of("id", projectId, "url", repo.bareDir().toString())).get("webhook_secret").asText();
    byLabel.put(label, new Project(projectId, repo, hook));
    projects.append("    - id: ").append(projectId).append("\n      default_namespace: ").append(namespace)
        .append("\n      resync_interval: 24h\n").append(entryKeys);
    long mark = audit.mark();
    Duration planeBefore = plane.cpuTime();
    Duration jvmBefore = ProcessCpu.used();
    long jitBefore = jit.totalMillis();
    Instant pushed = Instant.now();
    config.write(".gitlab/agents/bench/config.yaml", projects.toString()).commitAndPush("sync " + label);
    announcePush("bench/config", configHook);
    if (agent == null) {
      agent = startAgent();
    }
    TetherAgent running = agent;
    SyncOutcome sync = await(() -> running.gitops().outcome(projectId).filter(o -> o.phase() != dev.tether.agent.gitops.Phase.SYNCING));
    if (sync.phase() != dev.tether.agent.gitops.Phase.SYNCED) {
      throw new IllegalStateException("Tether failed to sync " + label + ": " + sync.message() + firstFailure(sync));
    }
    Duration planeCpu = plane.cpuTime().minus(planeBefore);
    Duration jvmCpu = ProcessCpu.used().minus(jvmBefore);
    long jitMs = jit.totalMillis() - jitBefore;
    ApiRequests requests = ApiRequests.since(audit, mark, USER_AGENT_PREFIX);

    mark = audit.mark();
    SyncOutcome resync = agent.gitops().resyncNow(projectId).get(30, TimeUnit.MINUTES);
    ApiRequests resyncRequests = ApiRequests.since(audit, mark, USER_AGENT_PREFIX);
    // More no-op resyncs on request, printed only: the table keeps the first, as every engine gets one.
    for (int i = 2; i <= RESYNCS; i++) {
      SyncOutcome again = agent.gitops().resyncNow(projectId).get(30, TimeUnit.MINUTES);
      System.out.printf("[gitops-sync] %s: no-op resync %d of %d: %d ms%n", label, i, RESYNCS,
          Duration.between(again.started(), again.finished()).toMillis());
    }
    SyncRun run = new SyncRun("Tether", Duration.between(sync.started(), sync.finished()).toMillis(), requests, planeCpu,
        Duration.between(resync.started(), resync.finished()).toMillis(), resyncRequests);
    return new Run(run, Duration.between(pushed, sync.finished()).toMillis(), jvmCpu, jitMs);
  }

  /**
   * A commit to the project of run {@code label} that writes {@code path} (a file no source there
   * reads), pushed and announced; then waits for the agent's sync at that commit.
   */
  Pushed push(String label, String path, String content) throws Exception {
    Project project = byLabel.get(label);
    long mark = audit.mark();
    Instant pushed = Instant.now();
    String commit = project.repo().write(path, content).commitAndPush("bench: " + path);
    announcePush(project.id(), project.webhookSecret());
    SyncOutcome sync = await(() -> agent.gitops().outcome(project.id())
        .filter(o -> o.commit().equals(commit) && o.phase() != dev.tether.agent.gitops.Phase.SYNCING));
    if (sync.phase() != dev.tether.agent.gitops.Phase.SYNCED) {
      throw new IllegalStateException("Tether failed to sync commit " + commit + " of " + label + ": " + sync.message()
          + firstFailure(sync));
    }
    return new Pushed(Duration.between(pushed, sync.finished()).toMillis(), Duration.between(sync.started(), sync.finished()).toMillis(),
        ApiRequests.since(audit, mark, USER_AGENT_PREFIX));
  }

  /**
   * The agent's memory for run {@code label}: an agent process of its own, as in a pod (the install
   * manifests' JVM options, with {@code podLimit} as the memory it sees), syncs that run's project into
   * {@code namespace}; its peak RSS and heap after GC once synced. A new process each time, so that
   * its peak is that sync's.
   */
  AgentProcess.Sample memoryOf(String label, String namespace, String podLimit) throws Exception {
    Project project = byLabel.get(label);
    String agentName = "rss-" + label;
    JsonNode created = api.post("/api/v1/agents", Map.of("name", agentName, "config_project", "bench/config"));
    Path agentToken = workDir.resolve(agentName + ".token");
    Files.writeString(agentToken, created.get("secret").asText());
    Instant asked = Instant.now();
    config.write(".gitlab/agents/" + agentName + "/config.yaml", "gitops:\n  manifest_projects:\n    - id: " + project.id()
        + "\n      default_namespace: " + namespace + "\n      inventory_id: " + agentName + "\n      resync_interval: 24h\n")
        .commitAndPush("memory of " + label);
    announcePush("bench/config", configHook);
    List<String> jvm = new java.util.ArrayList<>(List.of("-XX:MaxRAM=" + podLimit));
    jvm.addAll(dev.tether.cli.install.AgentJvmOptions.OPTIONS);
    AgentProcess process = AgentProcess.start(workDir.resolve(agentName + ".log"), jvm, "127.0.0.1:" + server.agentAddress().getPort(),
        agentToken, server.devCaFile().orElseThrow(), plane.kubeconfig());
    try {
      AgentProcess.awaitSynced(api, agentName, project.id(), asked, Duration.ofMinutes(30));
      return process.sample(label);
    } finally {
      process.stop();
    }
  }

  private TetherAgent startAgent() {
    return new TetherAgent(new AgentSettings("127.0.0.1:" + server.agentAddress().getPort(), token,
        server.devCaFile(), Optional.of(plane.kubeconfig()), AgentSettings.DEFAULT_HEARTBEAT, Optional.empty(), false)).start();
  }

  /**
   * Stops the agent and starts it again, as a restarted pod: it asks the server again for every
   * project at the commits the server already answered, then syncs each. Returns once all are synced.
   */
  void restartAgent() throws Exception {
    agent.close();
    agent = startAgent();
    TetherAgent running = agent;
    for (Project project : byLabel.values()) {
      SyncOutcome sync = await(() -> running.gitops().outcome(project.id())
          .filter(o -> o.phase() != dev.tether.agent.gitops.Phase.SYNCING));
      if (sync.phase() != dev.tether.agent.gitops.Phase.SYNCED) {
        throw new IllegalStateException("Tether failed to sync " + project.id() + " after the agent restarted: " + sync.message()
            + firstFailure(sync));
      }
    }
  }

  /** What the agent said of the first object it could not apply, if any: the sync's message only counts them. */
  private static String firstFailure(SyncOutcome sync) {
    return sync.objects().stream().filter(o -> o.action() == dev.tether.agent.gitops.Action.FAILED).findFirst()
        .map(o -> " (the first: " + o.key() + ": " + o.message() + ")").orElse("");
  }

  /** The server's Prometheus metrics now. */
  PrometheusText metrics() {
    return PrometheusText.scrape(server.httpUrl() + "/metrics");
  }

  private void announcePush(String projectId, String secret) throws Exception {
    PushWebhook.announce(server.httpUrl(), projectId, secret);
  }

  private static SyncOutcome await(Supplier<Optional<SyncOutcome>> outcome) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
    while (System.nanoTime() < deadline) {
      Optional<SyncOutcome> o = outcome.get();
      if (o.isPresent()) {
        return o.get();
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException("no sync within 30 minutes");
  }

  @Override
  public void close() {
    if (agent != null) {
      agent.close();
    }
    server.close();
  }
}
