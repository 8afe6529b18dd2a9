package dev.tether.cli;

import dev.tether.agent.AgentSettings;
import dev.tether.agent.TetherAgent;
import dev.tether.agent.lease.LeaseSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "agent",
    mixinStandardHelpOptions = true,
    description = {
        "Runs the Tether agent in a cluster until it is stopped: dials out to the server with its token, receives its "
            + "configuration, and serves its features.",
        "The agent never accepts inbound connections. It reconnects on its "
            + "own, with exponential backoff and jitter; a refused token is retried slowly (every 30 s to 5 min).",
        "`tether agent manifests` prints what installs it in a cluster."
    },
    subcommands = ManifestsCommand.class,
    footer = {
        "",
        "Environment: POD_NAME and POD_NAMESPACE (from the Downward API) are reported to the server; POD_NAME names the "
            + "replica in the Lease and POD_NAMESPACE is the Lease's namespace.",
        "",
        "Examples:",
        "  tether agent --server tether.example.com:8443 --token-file /etc/tether/token",
        "  tether agent --server 127.0.0.1:8443 --token-file prod.token \\",
        "      --ca-file tether-data/tls/ca.crt --kubeconfig ~/.kube/config",
        "",
        "  # install it in a cluster:",
        "  tether agent manifests --name prod --server tether.example.com:8443 \\",
        "      --token-file prod.token | kubectl apply -f -"
    })
final class AgentCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  // Checked in call(), not `required` here: picocli would demand them of `tether agent manifests` too.
  @Option(names = "--server", paramLabel = "HOST:PORT",
      description = "The server's agent listener. Required.")
  String server;

  @Option(names = "--token-file", paramLabel = "FILE",
      description = "File holding the agent's token (from `tether admin agent create` or `tether admin token create`). Required.")
  Path tokenFile;

  @Option(names = "--ca-file", paramLabel = "FILE",
      description = "PEM file of the CA that signed the server's certificate (default: the JVM's trusted CAs).")
  Path caFile;

  @Option(names = "--kubeconfig", paramLabel = "FILE",
      description = "The cluster's credentials (default: the pod's service account in a cluster, else $KUBECONFIG or ~/.kube/config).")
  Path kubeconfig;

  @Option(names = "--heartbeat-interval", paramLabel = "DURATION", defaultValue = "15s", converter = DurationConverter.class,
      description = "How often the agent tells the server it is alive (default: ${DEFAULT-VALUE}).")
  Duration heartbeatInterval;

  @Option(names = "--metrics-address", paramLabel = "HOST:PORT", converter = HostPortConverter.class,
      description = "Serve /metrics (Prometheus), /healthz and /readyz here, e.g. 0.0.0.0:8080 (default: not served).")
  java.net.InetSocketAddress metricsAddress;

  @Option(names = "--max-manifest-bytes", paramLabel = "BYTES",
      description = "The most manifest bytes one manifest project may send this agent; a larger selection is refused up "
          + "front and the status names this limit (default: an eighth of the JVM's heap, which -Xmx sets).")
  Long maxManifestBytes;

  /** Whether the agent elects the replica that runs GitOps with a Lease. */
  enum LeaseMode { auto, on, off }

  @Option(names = "--gitops-lease", paramLabel = "MODE", defaultValue = "auto",
      description = "Elect the replica that runs GitOps (apply, prune, drift) with a coordination.k8s.io Lease, so that "
          + "the agent can run as several replicas: on, off, or auto: on in a pod (POD_NAMESPACE is set), off elsewhere "
          + "(default: ${DEFAULT-VALUE}). Every replica serves proxied requests.")
  LeaseMode gitopsLease;

  @Option(names = "--gitops-lease-namespace", paramLabel = "NAMESPACE",
      description = "Namespace of the Lease (default: POD_NAMESPACE, the agent's own namespace).")
  String gitopsLeaseNamespace;

  @Option(names = "--gitops-lease-name", paramLabel = "NAME",
      description = "Name of the Lease; replicas of one agent share it, two agents in one namespace need two names "
          + "(default: " + LeaseSettings.DEFAULT_NAME + ").")
  String gitopsLeaseName;

  @Override
  public Integer call() throws Exception {
    List<String> missing = new ArrayList<>();
    if (server == null) {
      missing.add("'--server=HOST:PORT'");
    }
    if (tokenFile == null) {
      missing.add("'--token-file=FILE'");
    }
    if (!missing.isEmpty()) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "Missing required option" + (missing.size() > 1 ? "s: " : ": ") + String.join(", ", missing));
    }
    if (maxManifestBytes != null && maxManifestBytes <= 0) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--max-manifest-bytes must be a positive number of bytes");
    }
    AgentSettings settings = new AgentSettings(server, tokenFile, Optional.ofNullable(caFile),
        Optional.ofNullable(kubeconfig), heartbeatInterval, Optional.ofNullable(metricsAddress), true);
    if (maxManifestBytes != null) {
      settings = settings.withMaxManifestBytes(maxManifestBytes);
    }
    Optional<LeaseSettings> lease = lease();
    if (lease.isPresent()) {
      settings = settings.withGitopsLease(lease.get());
    }
    return UntilStopped.run(new TetherAgent(settings).start(), "tether-agent");
  }

  private Optional<LeaseSettings> lease() {
    String podNamespace = env("POD_NAMESPACE");
    if (gitopsLease == LeaseMode.off || (gitopsLease == LeaseMode.auto && podNamespace.isEmpty())) {
      return Optional.empty();
    }
    String namespace = gitopsLeaseNamespace != null ? gitopsLeaseNamespace : podNamespace;
    if (namespace.isEmpty()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--gitops-lease on needs the Lease's namespace: give "
          + "--gitops-lease-namespace=NAMESPACE (in a pod, POD_NAMESPACE from the Downward API gives it)");
    }
    String identity = env("POD_NAME");
    if (identity.isEmpty()) {
      identity = java.util.UUID.randomUUID().toString().substring(0, 8);
      try {
        identity = java.net.InetAddress.getLocalHost().getHostName() + "-" + identity;
      } catch (java.net.UnknownHostException e) {
        identity = "agent-" + identity;
      }
    }
    return Optional.of(LeaseSettings.of(namespace, gitopsLeaseName != null ? gitopsLeaseName : LeaseSettings.DEFAULT_NAME,
        identity));
  }

  private static String env(String name) {
    String value = System.getenv(name);
    return value == null ? "" : value;
  }
}
