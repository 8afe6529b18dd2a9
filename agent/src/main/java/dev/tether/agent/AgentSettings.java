package dev.tether.agent;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import dev.tether.agent.lease.LeaseSettings;

/**
 * How an agent runs.
 *
 * @param server the server's agent listener, {@code host:port}
 * @param caFile PEM CA certificates to trust for the server; empty for the JVM's default CAs
 * @param kubeconfig the cluster's credentials; empty for in-cluster or the usual kubeconfig lookup
 * @param metricsAddress where to serve /metrics, /healthz and /readyz; empty for nowhere
 * @param ownsLogging whether {@code observability.logging} may set this JVM's log levels: true for the
 *     agent program, false when agents are embedded (tests run many in one JVM)
 * @param maxManifestBytes the most manifest bytes one manifest project may send this agent; a larger
 *     selection is refused up front, naming this limit
 * @param gitopsLease the Lease that elects which replica runs GitOps; empty for a process that needs none (one
 *     process, out of a cluster): the server's role alone then decides
 */
public record AgentSettings(String server, Path tokenFile, Optional<Path> caFile, Optional<Path> kubeconfig,
    Duration heartbeatInterval, Optional<InetSocketAddress> metricsAddress, boolean ownsLogging, long maxManifestBytes,
    Optional<LeaseSettings> gitopsLease) {

  public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(15);

  /**
   * Manifest bytes per project that this JVM's heap can carry: an eighth of the heap. A manifest is held
   * as received, as parsed objects, as the copy that is applied and as the answer the API server sends
   * back, and it stays in memory for drift correction; measured with ConfigMaps of large values, one
   * byte of YAML took about six bytes of heap through a sync.
   */
  public static long defaultMaxManifestBytes() {
    return Runtime.getRuntime().maxMemory() / 8;
  }

  public AgentSettings(String server, Path tokenFile, Optional<Path> caFile, Optional<Path> kubeconfig,
      Duration heartbeatInterval, Optional<InetSocketAddress> metricsAddress, boolean ownsLogging) {
    this(server, tokenFile, caFile, kubeconfig, heartbeatInterval, metricsAddress, ownsLogging, defaultMaxManifestBytes());
  }

  public AgentSettings(String server, Path tokenFile, Optional<Path> caFile, Optional<Path> kubeconfig,
      Duration heartbeatInterval, Optional<InetSocketAddress> metricsAddress, boolean ownsLogging, long maxManifestBytes) {
    this(server, tokenFile, caFile, kubeconfig, heartbeatInterval, metricsAddress, ownsLogging, maxManifestBytes, Optional.empty());
  }

  public AgentSettings withMaxManifestBytes(long bytes) {
    return new AgentSettings(server, tokenFile, caFile, kubeconfig, heartbeatInterval, metricsAddress, ownsLogging, bytes,
        gitopsLease);
  }

  public AgentSettings withGitopsLease(LeaseSettings lease) {
    return new AgentSettings(server, tokenFile, caFile, kubeconfig, heartbeatInterval, metricsAddress, ownsLogging,
        maxManifestBytes, Optional.of(lease));
  }
}
