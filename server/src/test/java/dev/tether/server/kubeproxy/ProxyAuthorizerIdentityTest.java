package dev.tether.server.kubeproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.common.config.ConfigParser;
import dev.tether.common.token.SecretToken;
import dev.tether.server.configuration.AgentConfigFiles;
import dev.tether.server.configuration.ConfigurationHub;
import dev.tether.server.configuration.ConfigurationUpdate;
import dev.tether.server.store.AccessToken;
import dev.tether.server.store.AccessTokenStore;
import dev.tether.server.store.Agent;
import dev.tether.server.store.AgentStore;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A person's token that names a cluster or Tether identity is refused when used, even if it was stored before that rule. */
class ProxyAuthorizerIdentityTest {
  private final Map<String, AccessToken> tokensByDigest = new ConcurrentHashMap<>();
  private ProxyAuthorizer authorizer;

  @BeforeEach
  void agentWithUserAccess() throws Exception {
    String yaml = "user_access:\n  access_as: { user: {} }\n  projects: [ { id: group/app } ]\n";
    ConfigurationHub configurations = new ConfigurationHub();
    configurations.publish(new ConfigurationUpdate("prod", "c1", "team/config", AgentConfigFiles.path("prod"),
        yaml.getBytes(StandardCharsets.UTF_8), ConfigParser.parse("prod", AgentConfigFiles.path("prod"), yaml.getBytes(StandardCharsets.UTF_8))));
    authorizer = new ProxyAuthorizer(new TokensInMemory(), new NoAgents(), configurations, Clock.systemUTC());
  }

  /** Stores a token as the database would hold it, without the checks of creation, and answers its bearer header. */
  private String stored(String user, List<String> groups) {
    SecretToken secret = SecretToken.generate(SecretToken.Kind.ACCESS);
    tokensByDigest.put(secret.digest(), new AccessToken("a-" + user.replace(':', '-'), "user", Optional.empty(), Optional.empty(),
        Optional.of(user), List.of("group/app"), groups, "", Instant.now(), Optional.empty(), Optional.empty(), Optional.empty()));
    return "Bearer prod:" + secret.reveal();
  }

  @Test
  void aPersonsGroupsArePassedOn() throws Exception {
    ProxyAccess access = authorizer.authorize(stored("alice", List.of("developers")));

    assertThat(access.impersonation().getUser()).isEqualTo("tether:user:alice");
    assertThat(access.impersonation().getGroupsList()).containsExactly("tether:user", "developers", "tether:agent:prod");
  }

  @Test
  void aStoredTokenWithSystemMastersIsRefused() {
    String header = stored("mallory", List.of("developers", "system:masters"));

    assertThatThrownBy(() -> authorizer.authorize(header))
        .isInstanceOfSatisfying(ProxyRefusal.class, refusal -> assertThat(refusal.status()).isEqualTo(403))
        .hasMessageContaining("access token a-mallory of user mallory may not be used: group 'system:masters' is not allowed")
        .hasMessageContaining("tether admin access-token revoke a-mallory");
  }

  @Test
  void aStoredTokenPassingForAnAgentOrASystemUserIsRefused() {
    String agentGroup = stored("eve", List.of("tether:agent:staging"));
    String systemUser = stored("system:admin", List.of());

    assertThatThrownBy(() -> authorizer.authorize(agentGroup)).hasMessageContaining("group 'tether:agent:staging' is not allowed");
    assertThatThrownBy(() -> authorizer.authorize(systemUser)).hasMessageContaining("user name 'system:admin' is not allowed");
  }

  private final class TokensInMemory implements AccessTokenStore {
    @Override
    public void add(AccessToken token, String digest) {
      tokensByDigest.put(digest, token);
    }

    @Override
    public Optional<AccessToken> findByDigest(String digest) {
      return Optional.ofNullable(tokensByDigest.get(digest));
    }

    @Override
    public Optional<AccessToken> find(String id) {
      return tokensByDigest.values().stream().filter(t -> t.id().equals(id)).findFirst();
    }

    @Override
    public List<AccessToken> list() {
      return List.copyOf(tokensByDigest.values());
    }

    @Override
    public boolean revoke(String id, Instant at) {
      return false;
    }

    @Override
    public void markUsed(String id, Instant at) {}
  }

  /** The agent's configuration is known, so the proxy never needs to look the agent up. */
  private static final class NoAgents implements AgentStore {
    @Override
    public void create(Agent agent) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Optional<Agent> find(String name) {
      return Optional.empty();
    }

    @Override
    public List<Agent> list() {
      return List.of();
    }

    @Override
    public List<Agent> usingConfigProject(String projectId) {
      return List.of();
    }
  }
}
