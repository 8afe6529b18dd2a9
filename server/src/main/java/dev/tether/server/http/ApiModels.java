package dev.tether.server.http;

import dev.tether.common.config.ConfigError;
import java.time.Instant;
import java.util.List;

/** The JSON shapes of HTTP API v1 (snake_case on the wire). */
final class ApiModels {
  private ApiModels() {}

  record ErrorBody(String error) {}

  /**
   * Where agents and kubectl reach this server; {@code dev_ca_certificate} is the PEM of the CA they must trust
   * when the server made its own development certificate (null otherwise).
   */
  record ServerView(String version, String agentAddress, String kubeProxyUrl, String devCaCertificate) {}

  record ProjectRequest(String id, String url, CredentialsRequest credentials, String defaultBranch, String webhookSecret) {}

  /** Give one kind: username + password, token (with an optional username), or ssh_private_key + ssh_known_hosts. */
  record CredentialsRequest(String username, String password, String token, String sshPrivateKey, String sshKnownHosts) {}

  record AgentRequest(String name, String configProject) {}

  record TokenRequest(String description) {}

  record FetchView(Instant attemptedAt, Instant succeededAt, String error, String defaultBranch, String headCommit) {}

  record ProjectView(String id, String url, String credentials, String defaultBranch, Instant createdAt,
      String webhookPath, FetchView lastFetch) {}

  record CreatedProject(ProjectView project, String webhookSecret) {}

  /**
   * @param appliesGitops whether this connection applies the agent's GitOps; only one connection of an agent does
   * @param replica the server replica that holds the connection; kubectl requests through any replica are routed there
   */
  record ConnectionView(String id, String agent, Instant since, String version, String podName, String podNamespace,
      String clusterVersion, String remoteAddress, Instant lastHeartbeat, boolean appliesGitops, String replica) {}

  /**
   * @param state {@code pending} (not read yet), {@code valid}, or {@code invalid} (the agent keeps {@code valid_commit})
   */
  record ConfigView(String project, String file, String state, String commit, Instant observedAt, List<ConfigError> errors,
      String validCommit, Instant validAt, String fetchError) {}

  record AgentView(String name, String configProject, Instant createdAt, boolean connected, Instant lastSeenAt,
      List<ConnectionView> connections, ConfigView config, List<SyncSummary> gitops) {}

  /**
   * One manifest project's last sync in a line: {@code healthy} objects are Current, {@code failed}
   * could not be applied, {@code unhealthy} are applied but Failed; {@code wave}, {@code waves} and
   * {@code waitingFor} as in {@link GitopsView}.
   */
  record SyncSummary(String project, String commit, String phase, Instant finishedAt, int objects, int healthy, int failed,
      int unhealthy, String message, String inventory, SourceView source, Integer wave, Integer waves, List<String> waitingFor) {}

  /**
   * What a manifest project entry takes its manifests from: {@code kind} raw (files selected by paths) or
   * kustomize or helm (an overlay or a chart the server renders, named by {@code renders}), and the last render's time and error.
   */
  record SourceView(String kind, String renders, Instant renderedAt, String renderCommit, String renderError, String resolved) {}

  /** {@code content} is the configuration in use (the last valid one), or null before the first valid one. */
  record ConfigDocument(ConfigView state, String content) {}

  /** {@code details} for syncs: commit, phase, applied, unchanged, pruned, failed, duration_ms, started_at. */
  record EventView(long id, Instant at, String kind, String severity, String agent, String project, String message,
      java.util.Map<?, ?> details) {}

  /** Newest first; pass {@code next_before} as {@code before} for the next page (null on the last page). */
  record EventPage(List<EventView> events, Long nextBefore) {}

  record ObjectView(String group, String version, String kind, String namespace, String name, String action, String health,
      String message, String file, String hook) {}

  /**
   * The last sync of one manifest project, as the agent reported it.
   *
   * @param wave while a commit of several sync waves is applied, the wave in progress; null otherwise
   * @param waves how many waves that commit has; null with no wave
   * @param waitingFor the sources (depends_on) the entry waits for before it syncs; empty when it does not wait
   */
  record GitopsView(String project, String commit, String phase, String message, Instant startedAt, Instant finishedAt,
      long durationMs, int applied, int unchanged, int pruned, int failed, int driftCorrected, String inventoryId,
      String inventory, Instant reportedAt, List<ObjectView> objects, SourceView source, Integer wave, Integer waves,
      List<String> waitingFor) {}

  /**
   * CI token: {@code project}, optionally the {@code environment} its jobs deploy to. Person: {@code user}, with
   * {@code projects} (memberships) and {@code groups}.
   */
  record AccessTokenRequest(String project, String environment, String user, List<String> projects, List<String> groups,
      String expiresIn, String description) {}

  record AccessTokenView(String id, String kind, String project, String environment, String user, List<String> projects, List<String> groups,
      String description, String state, Instant createdAt, Instant expiresAt, Instant lastUsedAt, Instant revokedAt) {}

  record CreatedAccessToken(AccessTokenView token, String secret) {}

  record TokenView(String id, String agent, String description, String state, Instant createdAt, Instant lastUsedAt,
      Instant revokedAt) {}

  /** The token's secret is shown here, once. */
  record CreatedToken(TokenView token, String secret) {}

  record CreatedAgent(AgentView agent, TokenView token, String secret) {}

  /** A chart repository the server holds credentials for: the URL and what authenticates, never the secret. */
  record ChartRepositoryView(String url, String credentials, Instant createdAt) {}

  /** Credentials for a chart repository: {@code username} with {@code password}, or {@code token}. */
  record ChartRepositoryRequest(String url, String username, String password, String token) {}

  /** Opens one live event stream (GET /api/v1/events/stream?ticket=...) until {@code expiresAt}. */
  record StreamTicket(String ticket, java.time.Instant expiresAt) {}
}
