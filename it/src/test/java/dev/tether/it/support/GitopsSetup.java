package dev.tether.it.support;

import dev.tether.agent.TetherAgent;
import dev.tether.agent.gitops.Phase;
import dev.tether.agent.gitops.SyncOutcome;
import dev.tether.server.ServerSettings;
import dev.tether.testkit.git.GitRepository;
import dev.tether.testkit.k8s.KubeControlPlane;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.awaitility.Awaitility;

/**
 * A server, a config project, a manifest project and an agent on the real control plane: the
 * whole GitOps path, ready for a test to push commits and watch the cluster.
 */
public final class GitopsSetup implements AutoCloseable {
  public final TetherHarness tether;
  public final ConfigProject config;
  public final GitRepository manifests;
  public final String agentName;
  public final String projectId;
  private final KubeControlPlane plane;
  private TetherAgent agent;
  private Path tokenFile;

  public GitopsSetup(Path dir, KubeControlPlane plane, String agentName, String projectId) {
    this(dir, plane, agentName, projectId, UnaryOperator.identity());
  }

  /** With the server's settings changed by {@code change} (its poll interval is 300 ms before that). */
  public GitopsSetup(Path dir, KubeControlPlane plane, String agentName, String projectId, UnaryOperator<ServerSettings> change) {
    this.plane = plane;
    this.agentName = agentName;
    this.projectId = projectId;
    config = new ConfigProject(dir.resolve("repos"), "config");
    manifests = GitRepository.create(dir.resolve("repos"), "manifests");
    manifests.write("README.md", "Manifests\n").commitAndPush("Start");
    tether = new TetherHarness(dir, settings -> change.apply(settings.withPollInterval(Duration.ofMillis(300))));
    tether.addProject("platform/config", config.repo().bareDir().toString(), Map.of());
    tether.addProject(projectId, manifests.bareDir().toString(), Map.of());
  }

  /** A ConfigMap manifest with one data entry, {@code value}: the objects most GitOps tests push. */
  public static String configMap(String name, String value) {
    return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\ndata:\n  value: \"" + value + "\"\n";
  }

  /** A Deployment of one nginx replica in sync wave {@code wave} (Argo CD's annotation). */
  public static String deploymentInWave(String name, String wave) {
    return """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: %s
          annotations: {argocd.argoproj.io/sync-wave: "%s"}
        spec:
          replicas: 1
          selector: {matchLabels: {app: %s}}
          template:
            metadata: {labels: {app: %s}}
            spec: {containers: [{name: main, image: nginx}]}
        """.formatted(name, wave, name, name);
  }

  /**
   * What the deployment controller writes once the Deployment's one pod is ready. The test control plane
   * runs no deployment controller, so a Deployment is never available until a test calls this.
   */
  public static void makeAvailable(KubernetesClient client, String name) {
    client.apps().deployments().withName(name).editStatus(d -> {
      d.setStatus(new DeploymentStatusBuilder().withObservedGeneration(d.getMetadata().getGeneration()).withReplicas(1)
          .withUpdatedReplicas(1).withReadyReplicas(1).withAvailableReplicas(1).build());
      return d;
    });
  }

  /** Pushes the agent's config.yaml. */
  public String configure(String yaml) {
    return config.push(agentName, yaml);
  }

  /** Creates the agent and starts it against the control plane. */
  public TetherAgent startAgent() {
    return startAgent(false);
  }

  /** With {@code metrics}, the agent serves /metrics on a free loopback port. */
  public TetherAgent startAgent(boolean metrics) {
    tokenFile = tether.createAgent(agentName, "platform/config");
    agent = tether.startAgent(tokenFile, tether.caFile(), Optional.of(plane.kubeconfig()), metrics);
    return agent;
  }

  /** Creates the agent and starts it with its limit on manifest bytes per project set to {@code maxManifestBytes}. */
  public TetherAgent startAgent(long maxManifestBytes) {
    tokenFile = tether.createAgent(agentName, "platform/config");
    agent = tether.startAgent(tokenFile, tether.caFile(), Optional.of(plane.kubeconfig()), false, maxManifestBytes);
    return agent;
  }

  /** Starts a second agent process with the first one's token, as a forgotten copy or a second replica would run. */
  public TetherAgent startAnotherProcess() {
    return tether.startAgent(tokenFile, tether.caFile(), Optional.of(plane.kubeconfig()), false);
  }

  /** The agent's token file. */
  public Path tokenFile() {
    return tokenFile;
  }

  public TetherAgent agent() {
    return agent;
  }

  /** Waits for a sync of {@code commit} to finish (synced or failed) and returns it. */
  public SyncOutcome awaitSync(String commit) {
    return awaitSync(projectId, commit);
  }

  public SyncOutcome awaitSync(String project, String commit) {
    Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() ->
        agent.gitops().outcome(project).map(o -> o.commit().equals(commit) && o.phase() != Phase.SYNCING).orElse(false));
    SyncOutcome outcome = agent.gitops().outcome(project).orElseThrow();
    if (outcome.phase() == Phase.FAILED) {
      // A test that expected a success then fails on the phase alone; the reason is here, in the test's output.
      System.out.printf("[gitops] %s @ %s failed: %s%n", project, commit, outcome.message());
    }
    return outcome;
  }

  @Override
  public void close() {
    tether.close();
  }
}
