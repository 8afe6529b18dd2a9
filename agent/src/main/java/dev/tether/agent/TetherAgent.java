package dev.tether.agent;

import dev.tether.agent.configuration.ConfigurationReceiver;
import dev.tether.agent.configuration.ReceivedConfiguration;
import dev.tether.agent.connection.ReconnectPolicy;
import dev.tether.agent.connection.GitopsPermission;
import dev.tether.agent.connection.ServerConnection;
import dev.tether.agent.connection.Session;
import dev.tether.agent.observability.LoggingModule;
import dev.tether.agent.observability.ObservabilityEndpoint;
import dev.tether.common.metrics.PrometheusMetrics;
import io.micrometer.core.instrument.Gauge;
import dev.tether.common.TetherVersion;
import dev.tether.common.token.MalformedTokenException;
import dev.tether.common.token.SecretToken;
import dev.tether.proto.v1.AgentInfo;
import dev.tether.agent.gitops.GitopsModule;
import dev.tether.agent.kubeproxy.KubeProxyModule;
import dev.tether.agent.lease.GitopsLeaseElection;
import dev.tether.agent.lease.LeaseSettings;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.ChannelCredentials;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The Tether agent: assembles its modules and its connection to the server. */
public final class TetherAgent implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TetherAgent.class);

  private final AgentSettings settings;
  private ConfigurationReceiver configuration;
  private ServerConnection connection;
  private ClusterVersion clusterVersion;
  private KubernetesClient kube;
  private GitopsModule gitops;
  private KubernetesClient proxyClient;
  private KubernetesClient leaseClient;
  private GitopsLeaseElection election;
  private KubeHttp kubeHttp;
  private final PrometheusMetrics metrics = new PrometheusMetrics("agent");
  private ObservabilityEndpoint observability;

  public TetherAgent(AgentSettings settings) {
    this.settings = settings;
  }

  /** Starts dialing the server. Bad settings (no token file, a malformed token, an unreadable CA) fail here. */
  public TetherAgent start() {
    readToken(settings.tokenFile()); // a missing or malformed token fails here, before anything starts
    ChannelCredentials tls = tlsCredentials(settings.caFile());
    Config cluster = kubeConfig(settings.kubeconfig());
    kubeHttp = new KubeHttp();
    clusterVersion = new ClusterVersion(cluster, kubeHttp);
    // Its own user agent, so the API server's audit log tells the agent's requests apart.
    kube = kubeHttp.client(new ConfigBuilder(cluster)
        .withUserAgent("tether-agent/" + TetherVersion.get()).withRequestTimeout(60_000)
        // The API server answers some permanent errors (a field unknown to the schema) with 500; retry those
        // only briefly: the next sync tries again anyway.
        .withRequestRetryBackoffLimit(2).withRequestRetryBackoffInterval(200).build());
    GitopsPermission permission = new GitopsPermission(settings.gitopsLease().isPresent(), Clock.systemUTC());
    if (settings.gitopsLease().isPresent()) {
      LeaseSettings lease = settings.gitopsLease().get();
      // Lease calls must fail well within the renew deadline, and not retry: the election retries on its own period.
      leaseClient = kubeHttp.client(new ConfigBuilder(cluster)
          .withUserAgent("tether-agent/" + TetherVersion.get() + " (lease)")
          .withRequestTimeout((int) lease.renewDeadline().dividedBy(3).toMillis())
          .withConnectionTimeout((int) lease.renewDeadline().dividedBy(3).toMillis())
          .withRequestRetryBackoffLimit(0).build());
      election = new GitopsLeaseElection(leaseClient, lease, permission).start();
    }
    gitops = new GitopsModule(kube, Clock.systemUTC(), metrics.registry(), permission, settings.maxManifestBytes());
    // Proxied requests are not all idempotent: they are sent once, as the client sent them.
    proxyClient = kubeHttp.client(new ConfigBuilder(cluster)
        .withUserAgent("tether-agent/" + TetherVersion.get() + " (proxy)").withRequestRetryBackoffLimit(0).build());
    List<AgentModule> modules = new ArrayList<>();
    if (settings.ownsLogging()) {
      modules.add(new LoggingModule());
    }
    modules.add(gitops);
    configuration = new ConfigurationReceiver(modules, Clock.systemUTC(), metrics.registry());
    String trust = settings.caFile().map(f -> "the CA in " + f).orElse("the JVM's default CAs");
    connection = new ServerConnection(settings.server(), tls, trust, () -> readToken(settings.tokenFile()), this::agentInfo, settings.heartbeatInterval(),
        List.of(gitops, configuration, new KubeProxyModule(proxyClient, metrics.registry())), ReconnectPolicy.forAgent(),
        permission).start();
    Gauge.builder("tether.agent.connected", connection, c -> c.currentSession() == null ? 0 : 1)
        .description("1 while the agent is connected to the server").register(metrics.registry());
    if (settings.metricsAddress().isPresent()) {
      observability = new ObservabilityEndpoint(settings.metricsAddress().get(), metrics, () -> connection.currentSession() != null);
      log.info("Metrics on http://{}:{}/metrics (also /healthz, /readyz)", settings.metricsAddress().get().getHostString(),
          observability.port());
    }
    log.info("Tether agent {} dialing {} (trusting {})", TetherVersion.get(), settings.server(), trust);
    return this;
  }

  /** The configuration in use, once one has arrived. */
  public Optional<ReceivedConfiguration> configuration() {
    return configuration.current();
  }

  /** Why the last connection attempt failed or the last session ended, if one did. */
  public Optional<String> lastConnectionProblem() {
    return Optional.ofNullable(connection.lastProblem());
  }

  /** The GitOps half of the agent: its last syncs, for tests and status. */
  public GitopsModule gitops() {
    return gitops;
  }

  /** Whether this process applies GitOps now, and why not. */
  public GitopsPermission.Status gitopsPermission() {
    return connection.gitopsPermission().current();
  }

  /** The current session with the server, if connected. */
  public Optional<Session> session() {
    return Optional.ofNullable(connection.currentSession());
  }

  private AgentInfo agentInfo() {
    AgentInfo.Builder info = AgentInfo.newBuilder().setVersion(TetherVersion.get())
        .setPodName(env("POD_NAME")).setPodNamespace(env("POD_NAMESPACE"));
    return info.setClusterVersion(clusterVersion.get()).build();
  }

  private static String env(String name) {
    String value = System.getenv(name);
    return value == null ? "" : value;
  }

  private static String readToken(Path file) {
    try {
      return SecretToken.parse(SecretToken.Kind.AGENT, Files.readString(file)).reveal();
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the agent token file " + file + ": " + e.getMessage(), e);
    } catch (MalformedTokenException e) {
      throw new IllegalArgumentException("the token file " + file + " does not hold an agent token: " + e.getMessage(), e);
    }
  }

  private static ChannelCredentials tlsCredentials(Optional<Path> caFile) {
    if (caFile.isEmpty()) {
      return TlsChannelCredentials.create();
    }
    try {
      return TlsChannelCredentials.newBuilder().trustManager(caFile.get().toFile()).build();
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("cannot use " + caFile.get() + " as the CA file: " + e.getMessage()
          + " (it must hold PEM certificates)", e);
    }
  }

  private static Config kubeConfig(Optional<Path> kubeconfig) {
    Config base;
    if (kubeconfig.isPresent()) {
      try {
        base = Config.fromKubeconfig(Files.readString(kubeconfig.get()));
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read the kubeconfig " + kubeconfig.get() + ": " + e.getMessage(), e);
      }
    } else {
      base = Config.autoConfigure(null);
    }
    if (base.getTlsServerName() != null && !base.getTlsServerName().isEmpty()) {
      // fabric8's Vert.x client, which the agent uses, connects by the server address alone.
      log.warn("The kubeconfig's tls-server-name '{}' is not used: the agent checks the API server's certificate against the "
          + "address in 'server' ({}). If the certificate does not name that address, set 'server' to a name it covers.",
          base.getTlsServerName(), base.getMasterUrl());
    }
    return base;
  }

  /** The port of the metrics endpoint, when it was asked for. */
  public Optional<Integer> metricsPort() {
    return Optional.ofNullable(observability).map(ObservabilityEndpoint::port);
  }

  @Override
  public void close() {
    if (observability != null) {
      observability.close();
    }
    if (connection != null) {
      connection.close();
    }
    if (gitops != null) {
      gitops.close();
    }
    // After GitOps stopped: releasing the Lease lets another replica write at once.
    if (election != null) {
      election.close();
    }
    if (leaseClient != null) {
      leaseClient.close();
    }
    if (clusterVersion != null) {
      clusterVersion.close();
    }
    if (kube != null) {
      kube.close();
    }
    if (proxyClient != null) {
      proxyClient.close();
    }
    if (kubeHttp != null) {
      kubeHttp.close();
    }
    metrics.close();
  }
}
