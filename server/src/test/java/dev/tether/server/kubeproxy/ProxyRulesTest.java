package dev.tether.server.kubeproxy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The proxy's small rules: which paths are discovery, and how ci_access environments match. */
class ProxyRulesTest {

  @Test
  void discoveryPathsAreToldFromResourcePaths() {
    assertThat(ProxyServlet.isDiscovery("/api")).isTrue();
    assertThat(ProxyServlet.isDiscovery("/api/")).isTrue();
    assertThat(ProxyServlet.isDiscovery("/api/v1")).isTrue();
    assertThat(ProxyServlet.isDiscovery("/apis")).isTrue();
    assertThat(ProxyServlet.isDiscovery("/apis/apps/v1")).isTrue();
    assertThat(ProxyServlet.isDiscovery("/version")).isTrue();
    assertThat(ProxyServlet.isDiscovery("/openapi/v3/apis/apps/v1")).isTrue();

    assertThat(ProxyServlet.isDiscovery("/api/v1/namespaces")).isFalse();
    assertThat(ProxyServlet.isDiscovery("/apis/apps/v1/deployments")).isFalse();
    assertThat(ProxyServlet.isDiscovery("/healthz")).isFalse();
  }

  @Test
  void environmentsMatchExactlyOrWithWildcards() {
    assertThat(ProxyAuthorizer.environmentMatches("production", "production")).isTrue();
    assertThat(ProxyAuthorizer.environmentMatches("production", "production-eu")).isFalse();
    assertThat(ProxyAuthorizer.environmentMatches("review/*", "review/fix-login")).isTrue();
    assertThat(ProxyAuthorizer.environmentMatches("review/*", "review")).isFalse();
    assertThat(ProxyAuthorizer.environmentMatches("*", "anything/at all")).isTrue();
    assertThat(ProxyAuthorizer.environmentMatches("*-eu", "prod-eu")).isTrue();
    // Regular-expression characters in a name are plain characters.
    assertThat(ProxyAuthorizer.environmentMatches("prod.eu", "prodxeu")).isFalse();
  }
}
