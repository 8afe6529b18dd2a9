package dev.tether.agent;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's API server version, reported to the server on each connection. Asked once with a
 * short timeout and no retries, so an unreachable cluster never holds up the connection; it is
 * asked again on the next connection until it is known.
 */
final class ClusterVersion implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ClusterVersion.class);

  private final KubernetesClient client;
  private volatile String known = "";

  ClusterVersion(Config cluster, KubeHttp http) {
    this.client = http.client(new ConfigBuilder(cluster)
        .withRequestTimeout(3_000).withConnectionTimeout(3_000).withRequestRetryBackoffLimit(0).build());
  }

  String get() {
    if (known.isEmpty()) {
      try {
        var version = client.getKubernetesVersion();
        known = version == null || version.getGitVersion() == null ? "" : version.getGitVersion();
      } catch (RuntimeException e) {
        log.warn("Cannot learn the cluster's version from {}: {}", client.getMasterUrl(), explain(e));
      }
    }
    return known;
  }

  private static String explain(RuntimeException e) {
    Throwable root = e;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    if (root instanceof java.nio.channels.UnresolvedAddressException || root instanceof java.net.UnknownHostException) {
      return "its host name does not resolve. Outside a cluster, give the agent --kubeconfig";
    }
    if (root instanceof java.net.ConnectException) {
      return "connection refused. Is the API server running, and is the kubeconfig's server address right?";
    }
    return root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
  }

  @Override
  public void close() {
    client.close();
  }
}
