package dev.tether.server.kubeproxy;

import dev.tether.common.config.AccessAs;
import dev.tether.common.config.AgentConfig;
import dev.tether.common.config.CiAccess;
import dev.tether.common.token.MalformedTokenException;
import dev.tether.common.token.SecretToken;
import dev.tether.proto.v1.Header;
import dev.tether.proto.v1.Impersonation;
import dev.tether.server.configuration.AgentConfigFiles;
import dev.tether.server.configuration.ConfigurationFanOut;
import dev.tether.server.configuration.ConfigurationUpdate;
import dev.tether.server.store.AccessToken;
import dev.tether.server.store.AccessTokenIdentity;
import dev.tether.server.store.AccessTokenStore;
import dev.tether.server.store.AgentStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Decides, before anything reaches an agent, whether a proxied request may go ahead and as whom.
 * The bearer token is {@code <agent name>:<access token>}, or {@code <agent name>:<OIDC id token>} from a
 * CI job of an issuer the server is configured with ({@link IdTokenVerifier}), which counts as a CI token of
 * the project and environment its claims name. The agent's current configuration lets
 * CI tokens in through {@code ci_access} and people's tokens through {@code user_access}, and its
 * {@code access_as} says whom the agent impersonates. The identities, exactly:
 * <ul>
 *   <li>{@code agent}: no impersonation; the agent's own service account acts.</li>
 *   <li>{@code impersonate}: the configured username, uid, groups and extra.</li>
 *   <li>{@code ci_job}: user {@code tether:ci:<project>}, groups {@code tether:ci},
 *       {@code tether:project:<project>}, {@code tether:group:<g>} for every group above the project,
 *       {@code tether:project_env:<project>:<environment>} when the token names an environment, and
 *       {@code tether:agent:<agent>}.</li>
 *   <li>{@code user}: user {@code tether:user:<name>}, groups {@code tether:user}, the token's groups,
 *       and {@code tether:agent:<agent>}. A token whose name or groups {@link AccessTokenIdentity}
 *       refuses (such as {@code system:masters}) is refused here too, whatever the access_as.</li>
 * </ul>
 */
public final class ProxyAuthorizer {
  private static final Duration LAST_USED_RESOLUTION = Duration.ofMinutes(1);

  private final AccessTokenStore tokens;
  private final AgentStore agents;
  private final ConfigurationFanOut configurations;
  private final Clock clock;
  private final IdTokenVerifier idTokens;
  private final Map<String, Instant> lastUsedWritten = new ConcurrentHashMap<>();
  // Tokens by digest for a few seconds, so a burst of kubectl requests costs one lookup; revocation empties it.
  private final Map<String, Cached> tokensByDigest = new ConcurrentHashMap<>();
  private static final Duration CACHE_FOR = Duration.ofSeconds(5);

  private record Cached(AccessToken token, Instant until) {}

  /** Forgets cached tokens, e.g. after a revocation. */
  public void forget() {
    tokensByDigest.clear();
  }

  public ProxyAuthorizer(AccessTokenStore tokens, AgentStore agents, ConfigurationFanOut configurations, Clock clock) {
    this(tokens, agents, configurations, clock, new IdTokenVerifier(List.of(), dev.tether.server.git.GitUrlPolicy.defaults()));
  }

  ProxyAuthorizer(AccessTokenStore tokens, AgentStore agents, ConfigurationFanOut configurations, Clock clock,
      IdTokenVerifier idTokens) {
    this.idTokens = idTokens;
    this.tokens = tokens;
    this.agents = agents;
    this.configurations = configurations;
    this.clock = clock;
  }

  ProxyAccess authorize(String authorization) throws ProxyRefusal {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw new ProxyRefusal(401, "no token: send 'Authorization: Bearer <agent>:<access token>' (tether kubeconfig writes it) "
          + "or 'Bearer <agent>:<OIDC id token>' from a CI job");
    }
    String presented = authorization.substring(7).strip();
    int colon = presented.indexOf(':');
    if (colon <= 0) {
      throw new ProxyRefusal(401, "the token must be '<agent>:<access token>', naming the agent whose cluster to reach");
    }
    String agentName = presented.substring(0, colon);
    String credential = presented.substring(colon + 1);
    AccessToken token = IdTokenVerifier.looksLikeJwt(credential) ? idToken(credential) : token(credential);
    Optional<ConfigurationUpdate> config = configurations.current(agentName);
    if (config.isEmpty() && agents.find(agentName).isEmpty()) {
      throw new ProxyRefusal(404, "agent '" + agentName + "' does not exist on this server");
    }
    if (config.isEmpty()) {
      throw new ProxyRefusal(403, "agent '" + agentName + "' has no valid configuration yet, so nobody may use it");
    }
    AgentConfig agentConfig = config.get().config();
    if (token.isCi()) {
      CiAccess.Grant grant = ciGrant(agentName, token, agentConfig);
      return new ProxyAccess(agentName, token, ciImpersonation(agentName, token, grant),
          Optional.ofNullable(grant.defaultNamespace()).filter(n -> !n.isEmpty()));
    }
    return new ProxyAccess(agentName, token, userImpersonation(agentName, token, agentConfig), Optional.empty());
  }

  private AccessToken token(String presented) throws ProxyRefusal {
    SecretToken secret;
    try {
      secret = SecretToken.parse(SecretToken.Kind.ACCESS, presented);
    } catch (MalformedTokenException e) {
      throw new ProxyRefusal(401, e.getMessage());
    }
    Instant now = clock.instant();
    Cached cached = tokensByDigest.get(secret.digest());
    AccessToken token;
    if (cached != null && now.isBefore(cached.until())) {
      token = cached.token();
    } else {
      token = tokens.findByDigest(secret.digest()).orElseThrow(() ->
          new ProxyRefusal(401, "unknown access token; create one with `tether admin access-token create`"));
      tokensByDigest.put(secret.digest(), new Cached(token, now.plus(CACHE_FOR)));
    }
    if (token.revokedAt().isPresent()) {
      throw new ProxyRefusal(401, "access token " + token.id() + " was revoked at " + token.revokedAt().get());
    }
    if (token.expiresAt().isPresent() && !clock.instant().isBefore(token.expiresAt().get())) {
      throw new ProxyRefusal(401, "access token " + token.id() + " expired at " + token.expiresAt().get());
    }
    // Tokens stored before the rule existed, or written to the database by hand, are held to it too.
    Optional<String> identityProblem = AccessTokenIdentity.problem(token);
    if (identityProblem.isPresent()) {
      throw new ProxyRefusal(403, "access token " + token.id() + " of " + token.caller() + " may not be used: "
          + identityProblem.get() + ". Revoke it (tether admin access-token revoke " + token.id() + ") and create a new one");
    }
    Instant previous = lastUsedWritten.get(token.id());
    if (previous == null || now.isAfter(previous.plus(LAST_USED_RESOLUTION))) {
      lastUsedWritten.put(token.id(), now);
      tokens.markUsed(token.id(), now);
    }
    return token;
  }

  /**
   * A CI job's OIDC id token, as a CI access token of its project and environment that lives as long as the id token
   * does; its id, for logs and rate limits, is the token's subject.
   */
  private AccessToken idToken(String jwt) throws ProxyRefusal {
    CiJobClaims job = idTokens.verify(jwt);
    return new AccessToken("oidc:" + CiJobClaims.printable(job.subject()), "ci", Optional.of(job.project()), job.environment(),
        Optional.empty(), List.of(), List.of(), "OIDC id token of " + job.issuer(), clock.instant(), Optional.empty(),
        Optional.empty(), Optional.empty());
  }

  /**
   * The ci_access entry that lets a CI token in: the project's own, else the first group above it; and,
   * where it lists environments, only for a token of one of them.
   */
  private static CiAccess.Grant ciGrant(String agent, AccessToken token, AgentConfig config) throws ProxyRefusal {
    String file = AgentConfigFiles.path(agent);
    String project = token.projectId().orElseThrow();
    // A project may be listed once per set of environments (each with its own access_as); the first entry that fits wins.
    List<CiAccess.Grant> candidates = new ArrayList<>();
    config.ciAccess().projects().stream().filter(g -> g.id().equals(project)).forEach(candidates::add);
    config.ciAccess().groups().stream().filter(g -> project.startsWith(g.id() + "/")).forEach(candidates::add);
    if (candidates.isEmpty()) {
      throw new ProxyRefusal(403, "agent '" + agent + "' does not let CI jobs of project '" + project + "' in: list it (or a "
          + "group above it) under ci_access in " + file);
    }
    Optional<String> environment = token.environment();
    for (CiAccess.Grant grant : candidates) {
      if (grant.environments().isEmpty()
          || environment.filter(e -> grant.environments().stream().anyMatch(p -> environmentMatches(p, e))).isPresent()) {
        return grant;
      }
    }
    List<String> environments = candidates.stream().flatMap(g -> g.environments().stream()).distinct().toList();
    String entries = candidates.stream().map(CiAccess.Grant::id).distinct().map(id -> "'" + id + "'").collect(Collectors.joining(", "));
    throw new ProxyRefusal(403, "agent '" + agent + "' lets CI jobs of project '" + project + "' in only for the environments "
        + environments + " (ci_access entry " + entries + " in " + file + "), and " + credential(token)
        + environment.map(e -> " is for environment '" + e + "'").orElse(" names no environment: "
            + (token.id().startsWith("oidc:") ? "give the CI job an environment" : "create one with --environment")));
  }

  private static String credential(AccessToken token) {
    return token.id().startsWith("oidc:") ? "the id token of " + token.id().substring(5) : "access token " + token.id();
  }

  private static Impersonation ciImpersonation(String agent, AccessToken token, CiAccess.Grant grant) {
    if (!(grant.accessAs() instanceof AccessAs.CiJob)) {
      return fixed(grant.accessAs());
    }
    String project = token.projectId().orElseThrow();
    List<String> groups = new ArrayList<>(List.of("tether:ci", "tether:project:" + project));
    String[] parts = project.split("/");
    for (int i = 1; i < parts.length; i++) {
      groups.add("tether:group:" + String.join("/", Arrays.copyOf(parts, i)));
    }
    token.environment().ifPresent(e -> groups.add("tether:project_env:" + project + ":" + e));
    groups.add("tether:agent:" + agent);
    return Impersonation.newBuilder().setUser("tether:ci:" + project).addAllGroups(groups).build();
  }

  private static Impersonation userImpersonation(String agent, AccessToken token, AgentConfig config) throws ProxyRefusal {
    String file = AgentConfigFiles.path(agent);
    boolean member = token.projects().stream().anyMatch(p -> config.userAccess().projects().contains(p)
        || config.userAccess().groups().stream().anyMatch(g -> p.startsWith(g + "/")));
    if (!member) {
      throw new ProxyRefusal(403, "agent '" + agent + "' does not let " + token.caller() + " in: none of the projects "
          + token.projects() + " is under user_access in " + file);
    }
    AccessAs as = config.userAccess().accessAs();
    if (as instanceof AccessAs.User) {
      List<String> groups = new ArrayList<>(List.of("tether:user"));
      groups.addAll(token.groups());
      groups.add("tether:agent:" + agent);
      return Impersonation.newBuilder().setUser("tether:user:" + token.userName().orElseThrow()).addAllGroups(groups).build();
    }
    return fixed(as);
  }

  /** An {@code environments} entry matches an environment name exactly, or with {@code *} standing for any text (review/*). */
  static boolean environmentMatches(String pattern, String environment) {
    return environment.matches(Arrays.stream(pattern.split("\\*", -1)).map(Pattern::quote).collect(Collectors.joining(".*")));
  }

  private static Impersonation fixed(AccessAs as) {
    if (as instanceof AccessAs.Impersonate i) {
      Impersonation.Builder b = Impersonation.newBuilder().setUser(i.username()).setUid(i.uid()).addAllGroups(i.groups());
      i.extra().forEach((key, values) -> b.addExtra(Header.newBuilder().setName(key).addAllValues(values)));
      return b.build();
    }
    return Impersonation.getDefaultInstance(); // access_as agent
  }
}
