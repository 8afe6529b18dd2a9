package dev.tether.bench;

import dev.tether.cli.admin.AdminClient;
import dev.tether.common.text.TextTable;
import dev.tether.testkit.git.GitRepository;
import dev.tether.testkit.metrics.PrometheusText;
import dev.tether.testkit.postgres.PostgresBinaries;
import dev.tether.testkit.postgres.PostgresServer;
import dev.tether.testkit.replicas.ServerReplicas;
import dev.tether.testkit.replicas.TcpBalancer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The agents benchmark with R server replicas on one PostgreSQL: the simulated agents dial a TCP
 * balancer in front of them (as behind a cloud load balancer, which skips a backend that refuses),
 * one replica is killed with SIGKILL once all are connected and hold their streams, and it measures
 * the time until every agent is connected again and the peak reconnection rate meanwhile.
 */
final class ReplicaFailoverRound {
  private static final Duration LIMIT = Duration.ofMinutes(10);

  private final int agents;
  private final int dialing;
  private final int replicaCount;

  ReplicaFailoverRound(int agents, int dialing, int replicaCount) {
    this.agents = agents;
    this.dialing = dialing;
    this.replicaCount = replicaCount;
  }

  void run(Path dir) throws Exception {
    try (PostgresServer postgres = PostgresServer.start(PostgresBinaries.locate(), dir.resolve("postgres"));
         ServerReplicas replicas = ServerReplicas.start(dir.resolve("servers"), replicaCount, postgres.createDatabase("tether_bench"),
             "--allow-local-git-paths", "--poll-interval", "10s");
         TcpBalancer balancer = new TcpBalancer(() -> replicas.all().stream().filter(ServerReplicas.Replica::isAlive)
             .map(ServerReplicas.Replica::agentAddress).toList())) {
      ServerReplicas.Replica first = replicas.get(1);
      AdminClient api = new AdminClient(first.httpUrl(), replicas.adminToken());
      GitRepository apps = GitRepository.create(dir.resolve("repos"), "apps");
      apps.write("app/configmap.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fleet-app\ndata:\n  greeting: hello\n")
          .commitAndPush("an app for every cluster");
      GitRepository config = GitRepository.create(dir.resolve("repos"), "fleet-config");
      List<String> names = new ArrayList<>();
      for (int i = 0; i < agents; i++) {
        names.add(String.format("agent-%05d", i));
      }
      AgentsScaleBenchmark.writeConfigs(config, names, "info");
      config.commitAndPush("a config file per agent");
      api.post("/api/v1/projects", Map.of("id", AgentsScaleBenchmark.MANIFEST_PROJECT, "url", apps.bareDir().toString()));
      api.post("/api/v1/projects", Map.of("id", AgentsScaleBenchmark.CONFIG_PROJECT, "url", config.bareDir().toString()));
      Map<String, String> tokens = AgentsScaleBenchmark.createAgents(api, names);

      try (SimulatedFleet fleet = new SimulatedFleet(balancer.address(), replicas.caFile(), tokens, AgentsScaleBenchmark.HEARTBEAT)) {
        long start = System.nanoTime();
        fleet.connectAll(dialing);
        SimulatedFleet.await(fleet::connected, agents, LIMIT, "agents to connect through the balancer");
        SimulatedFleet.await(() -> (int) fleet.readyCount(), agents, LIMIT, "agents to hold their configuration and manifests");
        AgentsScaleBenchmark.failIfProblem(fleet);
        System.out.printf("[agents] %d replicas: %d connected and ready in %.1f s through the balancer%n", replicaCount, agents,
            AgentsScaleBenchmark.seconds(AgentsScaleBenchmark.since(start)));
        List<Long> held = new ArrayList<>();
        for (ServerReplicas.Replica replica : replicas.all()) {
          held.add(Math.round(PrometheusText.scrape(replica.httpUrl() + "/metrics").sumOrZero("tether_agent_connections")));
        }
        ServerReplicas.Replica victim = replicas.get(replicaCount);
        long onVictim = held.get(replicaCount - 1);
        SimulatedFleet.Failures before = fleet.failures();

        long killed = System.nanoTime();
        victim.kill();
        // The fleet notices through the balancer, which closes the agents' side when the replica's side is gone.
        SimulatedFleet.await(() -> agents - fleet.connected(), 1, Duration.ofSeconds(60), "agents to notice the killed replica");
        Duration noticed = AgentsScaleBenchmark.since(killed);
        SimulatedFleet.await(fleet::connected, agents, LIMIT, "agents to reconnect to the other replicas");
        Duration reconnected = AgentsScaleBenchmark.since(killed);
        long peak = fleet.peakWelcomesPerSecond(killed);
        SimulatedFleet.await(() -> (int) fleet.readyCount(), agents, LIMIT, "agents to hold their streams again");
        Duration ready = AgentsScaleBenchmark.since(killed);
        AgentsScaleBenchmark.failIfProblem(fleet);
        SimulatedFleet.Failures after = fleet.failures();
        long refused = after.refusals() - before.refusals();
        System.out.printf("[agents] %d replicas: replica %d (holding %d agents) killed; first agent noticed after %.1f s; all %d connected "
            + "again %.1f s after the kill (peak %d/s), all holding their streams again after %.1f s; refused meanwhile %d; "
            + "failures since the start %s%n", replicaCount, replicaCount, onVictim, AgentsScaleBenchmark.seconds(noticed), agents,
            AgentsScaleBenchmark.seconds(reconnected), peak, AgentsScaleBenchmark.seconds(ready), refused, after);

        TextTable table = new TextTable("replicas × agents", "agents per replica before", "killed replica held",
            "all connected again after the kill (peak/s)", "all holding their streams again", "refused meanwhile");
        table.add(replicaCount + " × " + agents, held.toString(), String.valueOf(onVictim),
            String.format("%.1f s (%d/s)", AgentsScaleBenchmark.seconds(reconnected), peak),
            String.format("%.1f s", AgentsScaleBenchmark.seconds(ready)), String.valueOf(refused));
        System.out.println();
        System.out.print(table.markdown());
        System.out.printf("%n%d `tether server` replicas (their default JVM options) on one PostgreSQL, a loopback TCP balancer (a thread "
            + "pair per connection) and the %d simulated agents (this JVM), all on the same machine's %d cores. The replica killed with "
            + "SIGKILL is the last one started.%n", replicaCount, agents, Runtime.getRuntime().availableProcessors());
      }
    }
  }
}
