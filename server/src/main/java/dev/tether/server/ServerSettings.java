package dev.tether.server;

import dev.tether.common.config.OidcIssuer;
import dev.tether.server.connection.AgentConnectRates;
import dev.tether.server.kubeproxy.ProxyRequestRate;
import dev.tether.server.git.GitUrlPolicy;
import dev.tether.server.replica.ReplicaSettings;
import dev.tether.server.store.DatabaseSettings;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * How a server runs.
 *
 * @param tlsCertFile with {@code tlsKeyFile}: the agent listener's certificate; when empty, {@code devTlsHosts}
 *     must name the hosts for a development certificate made in the data dir
 * @param agentConnectRates how often agents may connect, per token and per source address
 * @param proxyRequestRate how many proxied Kubernetes API requests one access token may send
 * @param gitUrls which Git URLs projects may use; {@link GitUrlPolicy#defaults()} unless the operator says otherwise
 * @param kustomizePath the kustomize program for Kustomize sources; empty means the first {@code kustomize} on PATH
 * @param database where the state is kept: the embedded H2 file in {@code dataDir} unless a PostgreSQL database is named
 * @param replica on PostgreSQL, where this server takes internal traffic from the other replicas
 * @param chartRecheckInterval how long a chart repository's index (or an OCI registry's tag list) is used before the
 *     server asks it again, and so how soon a version range picks up a newly published chart
 * @param oidcIssuers the OIDC issuers whose id tokens CI jobs may present at the Kubernetes API proxy; their keys are
 *     fetched under the {@code gitUrls} rules
 */
public record ServerSettings(
    InetSocketAddress httpAddress,
    InetSocketAddress agentAddress,
    InetSocketAddress kubeProxyAddress,
    Path dataDir,
    Optional<Path> tlsCertFile,
    Optional<Path> tlsKeyFile,
    List<String> devTlsHosts,
    Duration pollInterval,
    Duration gitTimeout,
    AgentConnectRates agentConnectRates,
    GitUrlPolicy gitUrls,
    Optional<Path> kustomizePath,
    DatabaseSettings database,
    ProxyRequestRate proxyRequestRate,
    ReplicaSettings replica,
    Duration chartRecheckInterval,
    List<OidcIssuer> oidcIssuers) {

  public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(10);
  public static final Duration DEFAULT_GIT_TIMEOUT = Duration.ofSeconds(60);
  public static final Duration DEFAULT_CHART_RECHECK_INTERVAL = Duration.ofMinutes(5);

  /**
   * Loopback listeners on free ports and development TLS: for tests and trying things out. The Git
   * URL policy is the production default; callers that use local or loopback repositories say so
   * with {@link #withGitUrls}.
   */
  public static ServerSettings local(Path dataDir) {
    return new ServerSettings(new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.1", 0),
        new InetSocketAddress("127.0.0.1", 0), dataDir,
        Optional.empty(), Optional.empty(), List.of("localhost", "127.0.0.1"), DEFAULT_POLL_INTERVAL, DEFAULT_GIT_TIMEOUT,
        AgentConnectRates.DEFAULT, GitUrlPolicy.defaults(), Optional.empty(), new DatabaseSettings.Embedded(), ProxyRequestRate.DEFAULT,
        ReplicaSettings.DEFAULT, DEFAULT_CHART_RECHECK_INTERVAL, List.of());
  }

  public ServerSettings withPollInterval(Duration interval) {
    return new ServerSettings(httpAddress, agentAddress, kubeProxyAddress, dataDir, tlsCertFile, tlsKeyFile, devTlsHosts, interval,
        gitTimeout, agentConnectRates, gitUrls, kustomizePath, database, proxyRequestRate, replica, chartRecheckInterval, oidcIssuers);
  }

  public ServerSettings withAddresses(InetSocketAddress http, InetSocketAddress agents, InetSocketAddress kubeProxy) {
    return new ServerSettings(http, agents, kubeProxy, dataDir, tlsCertFile, tlsKeyFile, devTlsHosts, pollInterval, gitTimeout,
        agentConnectRates, gitUrls, kustomizePath, database, proxyRequestRate, replica, chartRecheckInterval, oidcIssuers);
  }

  public ServerSettings withProxyRequestRate(ProxyRequestRate rate) {
    return new ServerSettings(httpAddress, agentAddress, kubeProxyAddress, dataDir, tlsCertFile, tlsKeyFile, devTlsHosts, pollInterval,
        gitTimeout, agentConnectRates, gitUrls, kustomizePath, database, rate, replica, chartRecheckInterval, oidcIssuers);
  }

  public ServerSettings withAgentConnectRates(AgentConnectRates rates) {
    return new ServerSettings(httpAddress, agentAddress, kubeProxyAddress, dataDir, tlsCertFile, tlsKeyFile, devTlsHosts, pollInterval,
        gitTimeout, rates, gitUrls, kustomizePath, database, proxyRequestRate, replica, chartRecheckInterval, oidcIssuers);
  }

  public ServerSettings withGitTimeout(Duration timeout) {
    return new ServerSettings(httpAddress, agentAddress, kubeProxyAddress, dataDir, tlsCertFile, tlsKeyFile, devTlsHosts, pollInterval,
        timeout, agentConnectRates, gitUrls, kustomizePath, database, proxyRequestRate, replica, chartRecheckInterval, oidcIssuers);
  }

  public ServerSettings withGitUrls(GitUrlPolicy policy) {
    return new ServerSettings(httpAddress, agentAddress, kubeProxyAddress, dataDir, tlsCertFile, tlsKeyFile, devTlsHosts, pollInterval,
        gitTimeout, agentConnectRates, policy, kustomizePath, database, proxyRequestRate, replica, chartRecheckInterval, oidcIssuers);
  }

  public ServerSettings withKustomizePath(Path program) {
    return new ServerSettings(httpAddress, agentAddress, kubeProxyAddress, dataDir, tlsCertFile, tlsKeyFile, devTlsHosts, pollInterval,
        gitTimeout, agentConnectRates, gitUrls, Optional.of(program), database, proxyRequestRate, replica, chartRecheckInterval, oidcIssuers);
  }

  public ServerSettings withDatabase(DatabaseSettings settings) {
    return new ServerSettings(httpAddress, agentAddress, kubeProxyAddress, dataDir, tlsCertFile, tlsKeyFile, devTlsHosts, pollInterval,
        gitTimeout, agentConnectRates, gitUrls, kustomizePath, settings, proxyRequestRate, replica, chartRecheckInterval, oidcIssuers);
  }

  public ServerSettings withReplica(ReplicaSettings settings) {
    return new ServerSettings(httpAddress, agentAddress, kubeProxyAddress, dataDir, tlsCertFile, tlsKeyFile, devTlsHosts, pollInterval,
        gitTimeout, agentConnectRates, gitUrls, kustomizePath, database, proxyRequestRate, settings, chartRecheckInterval, oidcIssuers);
  }

  public ServerSettings withChartRecheckInterval(Duration interval) {
    return new ServerSettings(httpAddress, agentAddress, kubeProxyAddress, dataDir, tlsCertFile, tlsKeyFile, devTlsHosts, pollInterval,
        gitTimeout, agentConnectRates, gitUrls, kustomizePath, database, proxyRequestRate, replica, interval, oidcIssuers);
  }

  public ServerSettings withOidcIssuers(List<OidcIssuer> issuers) {
    return new ServerSettings(httpAddress, agentAddress, kubeProxyAddress, dataDir, tlsCertFile, tlsKeyFile, devTlsHosts, pollInterval,
        gitTimeout, agentConnectRates, gitUrls, kustomizePath, database, proxyRequestRate, replica, chartRecheckInterval,
        List.copyOf(issuers));
  }
}
