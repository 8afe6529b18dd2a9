package dev.tether.server.registry;

import dev.tether.common.config.ConfigParser;
import dev.tether.common.token.SecretToken;
import dev.tether.server.connection.OpenCalls;
import dev.tether.server.events.EventLog;
import dev.tether.server.git.GitCredentials;
import dev.tether.server.git.GitUrlPolicy;
import dev.tether.server.git.GitUrls;
import dev.tether.server.git.GitPoller;
import dev.tether.server.store.Agent;
import dev.tether.server.store.AccessToken;
import dev.tether.server.store.AccessTokenIdentity;
import dev.tether.server.store.AgentToken;
import dev.tether.server.store.AlreadyExistsException;
import dev.tether.server.store.Project;
import dev.tether.server.store.Store;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Projects, agents and agent tokens: what an administrator creates, checked before it is stored. */
public final class Registry {
  private static final Logger log = LoggerFactory.getLogger(Registry.class);
  /** The GitLab agent's rule for agent names; they are also path segments in config projects. */
  public static final Pattern AGENT_NAME = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789";
  /** Environment names as Git hosts' CI writes them once variables are expanded (production, review/fix-login). */
  private static final java.util.regex.Pattern ENVIRONMENT =
      java.util.regex.Pattern.compile("[A-Za-z0-9_]([A-Za-z0-9 ._/-]{0,253}[A-Za-z0-9_])?");

  private final Store store;
  private final OpenCalls calls;
  private final GitPoller poller;
  private final GitUrlPolicy gitUrls;
  private final Clock clock;
  private final EventLog events;

  public Registry(Store store, OpenCalls calls, GitPoller poller, GitUrlPolicy gitUrls, Clock clock, EventLog events) {
    this.store = store;
    this.calls = calls;
    this.poller = poller;
    this.gitUrls = gitUrls;
    this.clock = clock;
    this.events = events;
  }

  /** A token and the secret to show its owner, once. */
  public record IssuedToken(AgentToken token, SecretToken secret) {}

  public Project addProject(String id, String url, GitCredentials credentials, Optional<String> defaultBranch,
      Optional<String> webhookSecret) {
    if (id == null || !ConfigParser.PROJECT_ID.matcher(id).matches()) {
      throw new RegistryException(RegistryException.Kind.INVALID, "project id '" + id + "' is not valid: use path segments of "
          + "letters, digits, '.', '_' and '-', separated by '/', like group/app");
    }
    GitUrls.problem(url).or(() -> gitUrls.refusalToStore(url)).ifPresent(problem -> {
      throw new RegistryException(RegistryException.Kind.INVALID, "project '" + id + "': " + problem);
    });
    if (webhookSecret.isPresent() && webhookSecret.get().length() < 16) {
      throw new RegistryException(RegistryException.Kind.INVALID, "the webhook secret must have at least 16 characters");
    }
    Project project = new Project(id, url, credentials, webhookSecret.orElseGet(() -> hex(32)),
        defaultBranch.filter(b -> !b.isBlank()), clock.instant());
    try {
      store.projects().add(project);
    } catch (AlreadyExistsException e) {
      throw new RegistryException(RegistryException.Kind.CONFLICT, e.getMessage());
    }
    log.info("Project '{}' added ({}, credentials: {})", id, GitUrls.redact(url), credentials.describe());
    events.info("registry", null, id, "Project '" + id + "' added (" + GitUrls.redact(url) + ", credentials: "
        + credentials.describe() + ")");
    return project;
  }

  public IssuedToken createAgent(String name, String configProjectId) {
    if (name == null || !AGENT_NAME.matcher(name).matches()) {
      throw new RegistryException(RegistryException.Kind.INVALID, "agent name '" + name + "' is not valid: use at most 63 "
          + "lower-case letters, digits and '-', starting and ending with a letter or digit");
    }
    if (store.projects().find(configProjectId).isEmpty()) {
      throw new RegistryException(RegistryException.Kind.NOT_FOUND, "config project '" + configProjectId
          + "' does not exist; add it first with `tether admin project add " + configProjectId + " --url <git-url>`");
    }
    try {
      store.agents().create(new Agent(name, configProjectId, clock.instant(), Optional.empty()));
    } catch (AlreadyExistsException e) {
      throw new RegistryException(RegistryException.Kind.CONFLICT, e.getMessage());
    }
    log.info("Agent '{}' created; its configuration is read from project '{}'", name, configProjectId);
    events.info("registry", name, configProjectId, "Agent '" + name + "' created; its configuration is read from project '"
        + configProjectId + "'");
    IssuedToken token = createToken(name, "created with the agent");
    poller.fetchNow(configProjectId);
    return token;
  }

  public IssuedToken createToken(String agentName, String description) {
    if (store.agents().find(agentName).isEmpty()) {
      throw new RegistryException(RegistryException.Kind.NOT_FOUND, "agent '" + agentName + "' does not exist");
    }
    SecretToken secret = SecretToken.generate(SecretToken.Kind.AGENT);
    AgentToken token = new AgentToken("t-" + randomId(10), agentName, description == null ? "" : description,
        clock.instant(), Optional.empty(), Optional.empty());
    store.tokens().add(token, secret.digest());
    log.info("Token {} created for agent '{}'", token.id(), agentName);
    events.info("token", agentName, null, "Agent token " + token.id() + " created" + (token.description().isEmpty() ? ""
        : " (" + token.description() + ")"));
    return new IssuedToken(token, secret);
  }

  /** An access token and the secret to show its owner, once. */
  public record IssuedAccessToken(AccessToken token, SecretToken secret) {}

  /** A token for CI jobs of one project to use the proxy. */
  public IssuedAccessToken createCiAccessToken(String projectId, Optional<String> environment, Optional<java.time.Duration> expiresIn,
      String description) {
    if (projectId == null || !ConfigParser.PROJECT_ID.matcher(projectId).matches()) {
      throw new RegistryException(RegistryException.Kind.INVALID, "project id '" + projectId + "' is not valid");
    }
    if (environment.isPresent() && !ENVIRONMENT.matcher(environment.get()).matches()) {
      throw new RegistryException(RegistryException.Kind.INVALID, "environment '" + environment.get() + "' is not valid: use at "
          + "most 255 letters, digits, spaces and . _ / -, starting and ending with a letter, digit or _, as Git hosts name them");
    }
    return issueAccessToken("ci", Optional.of(projectId), environment, Optional.empty(), List.of(projectId), List.of(), expiresIn,
        description);
  }

  /**
   * A token for a person: their name, the projects whose members they are, and their groups; the
   * name and groups must be ones {@link AccessTokenIdentity} lets a token carry.
   */
  public IssuedAccessToken createUserAccessToken(String userName, List<String> projects, List<String> groups,
      Optional<java.time.Duration> expiresIn, String description) {
    Optional<String> userProblem = AccessTokenIdentity.userNameProblem(userName);
    if (userProblem.isPresent()) {
      throw new RegistryException(RegistryException.Kind.INVALID, userProblem.get());
    }
    for (String project : projects) {
      if (project == null || !ConfigParser.PROJECT_ID.matcher(project).matches()) {
        throw new RegistryException(RegistryException.Kind.INVALID, "project id '" + project + "' is not valid");
      }
    }
    for (String group : groups) {
      Optional<String> groupProblem = AccessTokenIdentity.groupProblem(group);
      if (groupProblem.isPresent()) {
        throw new RegistryException(RegistryException.Kind.INVALID, groupProblem.get());
      }
    }
    return issueAccessToken("user", Optional.empty(), Optional.empty(), Optional.of(userName), projects, groups, expiresIn,
        description);
  }

  private IssuedAccessToken issueAccessToken(String kind, Optional<String> project, Optional<String> environment,
      Optional<String> user, List<String> projects,
      List<String> groups, Optional<java.time.Duration> expiresIn, String description) {
    if (expiresIn.isPresent() && (expiresIn.get().isNegative() || expiresIn.get().isZero())) {
      throw new RegistryException(RegistryException.Kind.INVALID, "expiry must be in the future");
    }
    SecretToken secret = SecretToken.generate(SecretToken.Kind.ACCESS);
    AccessToken token = new AccessToken("a-" + randomId(10), kind, project, environment, user, List.copyOf(projects), List.copyOf(groups),
        description == null ? "" : description, clock.instant(), expiresIn.map(clock.instant()::plus), Optional.empty(),
        Optional.empty());
    store.accessTokens().add(token, secret.digest());
    log.info("Access token {} created for {}", token.id(), token.caller());
    events.info("token", null, project.orElse(null), "Access token " + token.id() + " created for " + token.caller());
    return new IssuedAccessToken(token, secret);
  }

  /** Revokes an access token; proxied requests that use it are ended. */
  public AccessToken revokeAccessToken(String tokenId) {
    AccessToken token = store.accessTokens().find(tokenId).orElseThrow(() ->
        new RegistryException(RegistryException.Kind.NOT_FOUND, "access token '" + tokenId + "' does not exist"));
    if (!store.accessTokens().revoke(tokenId, clock.instant())) {
      throw new RegistryException(RegistryException.Kind.CONFLICT, "access token '" + tokenId + "' was already revoked");
    }
    calls.closeAll(tokenId, "access token " + tokenId + " was revoked");
    log.info("Access token {} of {} revoked", tokenId, token.caller());
    events.info("token", null, token.projectId().orElse(null), "Access token " + tokenId + " of " + token.caller() + " revoked");
    return store.accessTokens().find(tokenId).orElseThrow();
  }

  /** Revokes a token and ends every connection that uses it. */
  public AgentToken revokeToken(String tokenId) {
    AgentToken token = store.tokens().find(tokenId).orElseThrow(() ->
        new RegistryException(RegistryException.Kind.NOT_FOUND, "token '" + tokenId + "' does not exist"));
    if (!store.tokens().revoke(tokenId, clock.instant())) {
      throw new RegistryException(RegistryException.Kind.CONFLICT, "token '" + tokenId + "' was already revoked");
    }
    calls.closeAll(tokenId, "agent token " + tokenId + " was revoked");
    log.info("Token {} of agent '{}' revoked", tokenId, token.agentName());
    events.info("token", token.agentName(), null, "Agent token " + tokenId + " revoked; its connections were closed");
    return store.tokens().find(tokenId).orElseThrow();
  }

  private static String randomId(int length) {
    StringBuilder id = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      id.append(ID_ALPHABET.charAt(RANDOM.nextInt(ID_ALPHABET.length())));
    }
    return id.toString();
  }

  private static String hex(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
