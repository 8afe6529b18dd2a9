package dev.tether.common.kubeproxy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/**
 * A kubeconfig that reaches an agent's cluster through the server's Kubernetes API proxy. The
 * bearer token is {@code <agent>:<access token>}: the proxy routes by the agent's name and
 * authorizes by the token.
 */
public final class ProxyKubeconfig {
  /**
   * Tether's own answer on the proxy, not the cluster's: whom a token acts as on an agent, and the
   * default namespace its kubeconfig gets. No Kubernetes path starts with /tether.
   */
  public static final String ACCESS_PATH = "/tether/v1/access";

  private ProxyKubeconfig() {}

  /**
   * @param proxyUrl the proxy's https:// URL
   * @param caPem PEM of the CA of the proxy's certificate, embedded; empty to trust the system's CAs
   * @param namespace the context's default namespace, if any
   */
  public static String yaml(String agent, String accessToken, String proxyUrl, Optional<String> caPem, Optional<String> namespace) {
    if (!proxyUrl.startsWith("https://")) {
      throw new IllegalArgumentException("the proxy URL must be https:// (the proxy only speaks TLS), not " + proxyUrl);
    }
    String name = "tether-" + agent;
    StringBuilder yaml = new StringBuilder();
    yaml.append("apiVersion: v1\nkind: Config\nclusters:\n  - name: ").append(name).append("\n    cluster:\n      server: \"")
        .append(proxyUrl.replaceAll("/$", "")).append("\"\n");
    caPem.ifPresent(pem -> yaml.append("      certificate-authority-data: ")
        .append(Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.US_ASCII))).append('\n'));
    yaml.append("users:\n  - name: ").append(name).append("\n    user:\n      token: \"").append(agent).append(':').append(accessToken)
        .append("\"\ncontexts:\n  - name: ").append(name).append("\n    context:\n      cluster: ").append(name)
        .append("\n      user: ").append(name).append('\n');
    namespace.ifPresent(ns -> yaml.append("      namespace: ").append(ns).append('\n'));
    yaml.append("current-context: ").append(name).append('\n');
    return yaml.toString();
  }
}
