package dev.tether.agent;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * How an agent runs.
 *
 * @param server the server's agent listener, {@code host:port}
 * @param caFile PEM CA certificates to trust for the server; empty for the JVM's default CAs
 * @param kubeconfig the cluster's credentials; empty for in-cluster or the usual kubeconfig lookup
 * @param metricsAddress where to serve /metrics, /healthz and /readyz; empty for nowhere
 * @param ownsLogging whether {@code observability.logging} may set this JVM's log levels: true for the
 *     agent program, false when agents are embedded (tests run many in one JVM)
 */
public record AgentSettings(String server, Path tokenFile, Optional<Path> caFile, Optional<Path> kubeconfig,
    Duration heartbeatInterval, Optional<InetSocketAddress> metricsAddress, boolean ownsLogging) {

  public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(15);
}
