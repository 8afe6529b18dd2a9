package dev.tether.server.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.tether.common.TetherVersion;
import dev.tether.common.metrics.PrometheusMetrics;
import dev.tether.server.store.EventStore;
import dev.tether.common.token.MalformedTokenException;
import dev.tether.server.configuration.AgentConfigFiles;
import dev.tether.server.connection.AgentConnections;
import dev.tether.server.git.GitCredentials;
import dev.tether.server.git.GitUrls;
import dev.tether.server.git.GitPoller;
import dev.tether.server.http.ApiModels.AgentRequest;
import dev.tether.server.http.ApiModels.AgentView;
import dev.tether.server.http.ApiModels.ConfigView;
import dev.tether.server.http.ApiModels.ConnectionView;
import dev.tether.server.http.ApiModels.CredentialsRequest;
import dev.tether.server.http.ApiModels.FetchView;
import dev.tether.server.http.ApiModels.ProjectRequest;
import dev.tether.server.http.ApiModels.ProjectView;
import dev.tether.server.http.ApiModels.TokenRequest;
import dev.tether.server.http.ApiModels.TokenView;
import dev.tether.server.registry.Registry;
import dev.tether.server.registry.RegistryException;
import dev.tether.server.store.AccessToken;
import dev.tether.server.store.Agent;
import dev.tether.server.store.AgentToken;
import dev.tether.server.store.ConfigState;
import dev.tether.server.store.GitopsStateStore;
import dev.tether.server.gitops.SourceStatus;
import dev.tether.server.store.SyncRecord;
import java.time.Instant;
import dev.tether.server.store.Project;
import dev.tether.server.store.ProjectFetch;
import dev.tether.server.store.Store;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.json.JavalinJackson;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP API v1: projects, agents, agent tokens, connections and configuration state for
 * administrators (bearer admin token), plus push webhooks for Git hosts (signed per project).
 */
public final class HttpApi {
  private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
  /** Bodies are small JSON or webhook payloads; anything larger is refused before it is read. */
  static final long MAX_BODY_BYTES = 1024 * 1024;

  private final Store store;
  private final Registry registry;
  private final AgentConnections connections;
  private final GitPoller poller;
  private final AdminToken adminToken;
  private final ObjectMapper json = new ObjectMapper()
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private final String secretOfUnknownProjects = WebhookSignatures.secretNobodyKnows();
  private final PrometheusMetrics metrics;
  private final java.util.function.Supplier<Endpoints> endpoints;
  private final SourceStatus.Lookup sources;
  private final List<ApiRoutes.Route> routes = new java.util.ArrayList<>();

  /**
   * Where this server is reached, for install commands.
   *
   * @param agentAddress the agent listener, host:port (a host of 0.0.0.0 means "any of this machine's addresses")
   * @param devCaFile the development CA's certificate, when the server made its own
   */
  public record Endpoints(String agentAddress, String kubeProxyUrl, Optional<java.nio.file.Path> devCaFile) {}

  public HttpApi(Store store, Registry registry, AgentConnections connections, GitPoller poller, AdminToken adminToken,
      PrometheusMetrics metrics, java.util.function.Supplier<Endpoints> endpoints, SourceStatus.Lookup sources) {
    this.endpoints = endpoints;
    this.sources = sources;
    this.store = store;
    this.registry = registry;
    this.connections = connections;
    this.poller = poller;
    this.adminToken = adminToken;
    this.metrics = metrics;
  }

  /** The API routes {@link #create()} registered, for checking them against the OpenAPI document. */
  List<ApiRoutes.Route> routes() {
    return List.copyOf(routes);
  }

  public Javalin create() {
    return Javalin.create(cfg -> {
      cfg.startup.showJavalinBanner = false;
      // Without this the JVM lingers for seconds after stop().
      cfg.startup.startupWatcherEnabled = false;
      cfg.http.maxRequestSize = MAX_BODY_BYTES;
      cfg.jsonMapper(new JavalinJackson(json, false));

      cfg.routes.before("/api/v1/*", this::requireAdmin);
      cfg.routes.exception(ApiException.class, (e, ctx) -> error(ctx, e.status(), e.getMessage()));
      cfg.routes.exception(RegistryException.class, (e, ctx) -> error(ctx, switch (e.kind()) {
        case INVALID -> 400;
        case NOT_FOUND -> 404;
        case CONFLICT -> 409;
      }, e.getMessage()));
      cfg.routes.exception(Exception.class, (e, ctx) -> {
        log.error("HTTP {} {} failed", ctx.method(), ctx.path(), e);
        error(ctx, 500, "internal error: " + e.getClass().getSimpleName() + "; the server log has the details");
      });
      cfg.routes.error(404, ctx -> {
        if (ctx.result() == null || ctx.result().isEmpty() || !ctx.result().startsWith("{")) {
          error(ctx, 404, "no such endpoint: " + ctx.method() + " " + ctx.path());
        }
      });
      cfg.routes.error(413, ctx -> error(ctx, 413, "request body is larger than " + MAX_BODY_BYTES + " bytes"));

      cfg.routes.get("/healthz", ctx -> ctx.result("ok"));
      cfg.routes.get("/metrics", ctx -> ctx.contentType(PrometheusMetrics.CONTENT_TYPE).result(metrics.scrape()));

      ApiRoutes api = new ApiRoutes(cfg.routes, routes);
      api.get("/api/v1/openapi.json", ctx -> ctx.contentType("application/json").result(OpenApiDocument.json()));
      api.get("/api/v1/version", ctx -> ctx.json(Map.of("version", TetherVersion.get())));
      api.get("/api/v1/server", ctx -> ctx.json(serverView()));
      WebUi.register(cfg.routes);

      api.get("/api/v1/projects", ctx -> ctx.json(store.projects().list().stream().map(this::projectView).toList()));
      api.post("/api/v1/projects", this::addProject);
      api.post("/api/v1/projects/<id>/hooks/push", this::pushWebhook);
      api.get("/api/v1/projects/<id>", ctx -> ctx.json(projectView(project(ctx.pathParam("id")))));

      api.get("/api/v1/agents", ctx -> ctx.json(store.agents().list().stream().map(this::agentView).toList()));
      api.post("/api/v1/agents", this::createAgent);
      api.get("/api/v1/agents/{name}", ctx -> ctx.json(agentView(agent(ctx.pathParam("name")))));
      api.get("/api/v1/agents/{name}/config", ctx -> ctx.json(configDocument(agent(ctx.pathParam("name")))));
      api.get("/api/v1/agents/{name}/gitops", ctx -> {
        agent(ctx.pathParam("name"));
        ctx.json(store.gitops().of(ctx.pathParam("name")).stream().map(this::gitopsView).toList());
      });
      api.get("/api/v1/agents/{name}/tokens", ctx -> {
        agent(ctx.pathParam("name"));
        ctx.json(store.tokens().list(Optional.of(ctx.pathParam("name"))).stream().map(HttpApi::tokenView).toList());
      });
      api.post("/api/v1/agents/{name}/tokens", ctx -> {
        TokenRequest request = body(ctx, TokenRequest.class, new TokenRequest(""));
        Registry.IssuedToken issued = registry.createToken(ctx.pathParam("name"), request.description());
        ctx.status(201).json(new ApiModels.CreatedToken(tokenView(issued.token()), issued.secret().reveal()));
      });
      api.get("/api/v1/connections", ctx -> ctx.json(connections.all().stream().map(this::connectionView).toList()));
      api.get("/api/v1/events", this::events);
      api.get("/api/v1/access-tokens", ctx -> ctx.json(store.accessTokens().list().stream().map(this::accessTokenView).toList()));
      api.post("/api/v1/access-tokens", this::createAccessToken);
      api.delete("/api/v1/access-tokens/{id}", ctx -> ctx.json(accessTokenView(registry.revokeAccessToken(ctx.pathParam("id")))));
      ChartRepositoryRoutes.register(api, () -> store.chartRepositories(), java.time.Clock.systemUTC(), (ctx, type) -> body(ctx, type, null));
      api.get("/api/v1/tokens", ctx -> ctx.json(store.tokens().list(Optional.empty()).stream().map(HttpApi::tokenView).toList()));
      api.delete("/api/v1/tokens/{id}", ctx -> ctx.json(tokenView(registry.revokeToken(ctx.pathParam("id")))));
    });
  }

  private void requireAdmin(Context ctx) {
    if (ctx.method() == HandlerType.POST && ctx.path().endsWith("/hooks/push")) {
      return; // Git hosts sign webhooks with the project's secret instead.
    }
    if (ctx.path().equals("/api/v1/openapi.json")) {
      return; // describes the API, reveals nothing
    }
    String authorization = ctx.header("Authorization");
    boolean ok = false;
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      try {
        ok = adminToken.accepts(authorization.substring(7));
      } catch (MalformedTokenException e) {
        ok = false;
      }
    }
    if (!ok) {
      ctx.header("WWW-Authenticate", "Bearer realm=\"tether\"");
      throw new ApiException(401, "admin token required: send the token from " + adminToken.file().getFileName()
          + " in the server's data dir as 'Authorization: Bearer <token>'");
    }
  }

  private void addProject(Context ctx) {
    ProjectRequest request = body(ctx, ProjectRequest.class, null);
    if (request.id() == null || request.url() == null) {
      throw new ApiException(400, "'id' and 'url' are required");
    }
    Project project = registry.addProject(request.id(), request.url(), credentials(request.credentials()),
        Optional.ofNullable(request.defaultBranch()), Optional.ofNullable(request.webhookSecret()));
    ctx.status(201).json(new ApiModels.CreatedProject(projectView(project), project.webhookSecret()));
  }

  private static GitCredentials credentials(CredentialsRequest c) {
    if (c == null) {
      return new GitCredentials.None();
    }
    boolean password = c.password() != null;
    boolean token = c.token() != null;
    boolean ssh = c.sshPrivateKey() != null;
    if ((password ? 1 : 0) + (token ? 1 : 0) + (ssh ? 1 : 0) > 1) {
      throw new ApiException(400, "give one kind of credentials: password, token or ssh_private_key");
    }
    if (password) {
      if (c.username() == null || c.username().isBlank()) {
        throw new ApiException(400, "a password needs a username");
      }
      return new GitCredentials.Basic(c.username(), c.password());
    }
    if (token) {
      return new GitCredentials.Token(c.username() == null || c.username().isBlank() ? "git" : c.username(), c.token());
    }
    if (ssh) {
      if (c.sshKnownHosts() == null || c.sshKnownHosts().isBlank()) {
        throw new ApiException(400, "an SSH key needs ssh_known_hosts: the host keys to trust (as in ~/.ssh/known_hosts; "
            + "get them with ssh-keyscan and check them), so that a changed host is refused");
      }
      return new GitCredentials.SshKey(c.sshPrivateKey(), c.sshKnownHosts());
    }
    if (c.username() != null) {
      throw new ApiException(400, "a username needs a password or a token");
    }
    return new GitCredentials.None();
  }

  /**
   * A project that does not exist is answered exactly as a bad signature (same status, same body), and
   * after the same work: its request is checked against a secret that nobody knows. Otherwise anyone
   * could list the server's projects by trying names.
   */
  private void pushWebhook(Context ctx) {
    String id = ctx.pathParam("id");
    Optional<Project> project = store.projects().find(id);
    byte[] body = ctx.bodyAsBytes();
    Optional<String> problem = WebhookSignatures.problem(ctx::header, body,
        project.map(Project::webhookSecret).orElse(secretOfUnknownProjects));
    if (project.isEmpty()) {
      log.warn("Refused a push webhook for project '{}' from {}: there is no such project", id, ctx.ip());
      throw new ApiException(401, problem.orElse(WebhookSignatures.NOT_MATCHING));
    }
    if (problem.isPresent()) {
      log.warn("Refused a push webhook for project '{}' from {}: {}", id, ctx.ip(), problem.get());
      throw new ApiException(401, problem.get());
    }
    poller.fetchNow(id);
    ctx.status(202).json(Map.of("project", id, "fetch", "started"));
  }

  private void createAgent(Context ctx) {
    AgentRequest request = body(ctx, AgentRequest.class, null);
    if (request.name() == null || request.configProject() == null) {
      throw new ApiException(400, "'name' and 'config_project' are required");
    }
    Registry.IssuedToken issued = registry.createAgent(request.name(), request.configProject());
    ctx.status(201).json(new ApiModels.CreatedAgent(agentView(agent(request.name())), tokenView(issued.token()), issued.secret().reveal()));
  }

  private void createAccessToken(Context ctx) {
    ApiModels.AccessTokenRequest r = body(ctx, ApiModels.AccessTokenRequest.class, null);
    Optional<java.time.Duration> expiresIn = Optional.ofNullable(r.expiresIn()).map(text -> dev.tether.common.config.GoDuration.parse(text)
        .orElseThrow(() -> new ApiException(400, "expires_in '" + text + "' is not a duration; write it like 24h or 720h")));
    Registry.IssuedAccessToken issued;
    if ((r.project() == null) == (r.user() == null)) {
      throw new ApiException(400, "give either 'project' (a CI token for that project) or 'user' (a token for a person)");
    } else if (r.project() != null) {
      if (r.projects() != null || r.groups() != null) {
        throw new ApiException(400, "'projects' and 'groups' belong to user tokens");
      }
      issued = registry.createCiAccessToken(r.project(), Optional.ofNullable(r.environment()), expiresIn, r.description());
    } else {
      if (r.environment() != null) {
        throw new ApiException(400, "'environment' belongs to CI tokens: a person's token is let in by user_access, which has none");
      }
      List<String> projects = r.projects() == null ? List.of() : r.projects();
      if (projects.isEmpty()) {
        throw new ApiException(400, "a user token needs 'projects': the projects whose members the person is (user_access lists them)");
      }
      issued = registry.createUserAccessToken(r.user(), projects, r.groups() == null ? List.of() : r.groups(), expiresIn,
          r.description());
    }
    ctx.status(201).json(new ApiModels.CreatedAccessToken(accessTokenView(issued.token()), issued.secret().reveal()));
  }

  private ApiModels.AccessTokenView accessTokenView(AccessToken t) {
    String state = t.revokedAt().isPresent() ? "revoked"
        : t.expiresAt().filter(e -> !java.time.Instant.now().isBefore(e)).isPresent() ? "expired" : "active";
    return new ApiModels.AccessTokenView(t.id(), t.kind(), t.projectId().orElse(null), t.environment().orElse(null),
        t.userName().orElse(null), t.projects(),
        t.groups(), t.description(), state, t.createdAt(), t.expiresAt().orElse(null), t.lastUsedAt().orElse(null),
        t.revokedAt().orElse(null));
  }

  private <T> T body(Context ctx, Class<T> type, T whenEmpty) {
    byte[] bytes = ctx.bodyAsBytes();
    if (bytes.length == 0) {
      if (whenEmpty != null) {
        return whenEmpty;
      }
      throw new ApiException(400, "a JSON body is required");
    }
    try {
      return json.readValue(bytes, type);
    } catch (UnrecognizedPropertyException e) {
      throw new ApiException(400, "unknown field '" + e.getPropertyName() + "'; known fields: " + e.getKnownPropertyIds());
    } catch (JsonProcessingException e) {
      throw new ApiException(400, "the body is not valid JSON for this request: " + e.getOriginalMessage()
          + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")" : ""));
    } catch (java.io.IOException e) {
      throw new ApiException(400, "cannot read the body: " + e.getMessage());
    }
  }

  private Project project(String id) {
    return store.projects().find(id).orElseThrow(() -> new ApiException(404, "project '" + id + "' does not exist"));
  }

  private Agent agent(String name) {
    return store.agents().find(name).orElseThrow(() -> new ApiException(404, "agent '" + name + "' does not exist"));
  }

  private ProjectView projectView(Project p) {
    Optional<ProjectFetch> fetch = store.projects().lastFetch(p.id());
    return new ProjectView(p.id(), GitUrls.redact(p.url()), p.credentials().describe(), p.defaultBranch().orElse(null),
        p.createdAt(), "/api/v1/projects/" + p.id() + "/hooks/push", fetch.map(HttpApi::fetchView).orElse(null));
  }

  private static FetchView fetchView(ProjectFetch f) {
    return new FetchView(f.attemptedAt(), f.succeededAt().orElse(null), f.error().orElse(null),
        f.defaultBranch().orElse(null), f.headCommit().orElse(null));
  }

  private ApiModels.ServerView serverView() {
    Endpoints e = endpoints.get();
    String ca = e.devCaFile().map(file -> {
      try {
        return java.nio.file.Files.readString(file, java.nio.charset.StandardCharsets.US_ASCII);
      } catch (java.io.IOException failure) {
        throw new java.io.UncheckedIOException("cannot read the development CA " + file, failure);
      }
    }).orElse(null);
    return new ApiModels.ServerView(TetherVersion.get(), e.agentAddress(), e.kubeProxyUrl(), ca);
  }

  private ConnectionView connectionView(AgentConnections.Connection c) {
    return new ConnectionView(c.id(), c.agentName(), c.since(), c.version(), c.podName(), c.podNamespace(), c.clusterVersion(),
        c.remoteAddress(), c.lastHeartbeat(), connections.applies(c.agentName(), c.id()));
  }

  private void events(Context ctx) {
    int limit = intParam(ctx, "limit", 50);
    if (limit < 1 || limit > 500) {
      throw new ApiException(400, "limit must be between 1 and 500");
    }
    Optional<Long> before = Optional.ofNullable(ctx.queryParam("before")).map(text -> {
      try {
        return Long.parseLong(text);
      } catch (NumberFormatException e) {
        throw new ApiException(400, "before must be an event id (a number) from an earlier page's next_before");
      }
    });
    List<EventStore.Event> found = store.events().newest(Optional.ofNullable(ctx.queryParam("agent")),
        Optional.ofNullable(ctx.queryParam("kind")), before, limit);
    List<ApiModels.EventView> views = found.stream().map(this::eventView).toList();
    Long next = found.size() == limit ? found.get(found.size() - 1).id() : null;
    ctx.json(new ApiModels.EventPage(views, next));
  }

  private ApiModels.EventView eventView(EventStore.Event e) {
    Map<?, ?> details = e.details().map(text -> {
      try {
        return json.readValue(text, Map.class);
      } catch (JsonProcessingException bad) {
        return Map.of("unreadable", text);
      }
    }).orElse(null);
    return new ApiModels.EventView(e.id(), e.at(), e.kind(), e.severity(), e.agentName().orElse(null), e.projectId().orElse(null),
        e.message(), details);
  }

  private static int intParam(Context ctx, String name, int otherwise) {
    String text = ctx.queryParam(name);
    if (text == null) {
      return otherwise;
    }
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new ApiException(400, name + " must be a number, not '" + text + "'");
    }
  }

  /** The agent's config state with the text of the configuration in use. */
  private ApiModels.ConfigDocument configDocument(Agent a) {
    Optional<ConfigState.ValidConfig> valid = store.configStates().find(a.name()).flatMap(ConfigState::lastValid);
    return new ApiModels.ConfigDocument(configView(a),
        valid.map(v -> new String(v.content(), java.nio.charset.StandardCharsets.UTF_8)).orElse(null));
  }

  private AgentView agentView(Agent a) {
    List<ConnectionView> live = connections.of(a.name()).stream().map(this::connectionView).toList();
    List<ApiModels.SyncSummary> gitops = store.gitops().of(a.name()).stream().map(this::gitopsView)
        .map(g -> {
          // The entry's own objects: hooks and objects left alone (skipped) are listed in the report but are not the application.
          List<ApiModels.ObjectView> own = g.objects().stream().filter(o -> o.hook().isEmpty() && !o.action().equals("skipped")).toList();
          return new ApiModels.SyncSummary(g.project(), g.commit(), g.phase(), g.finishedAt(), own.size(),
              (int) own.stream().filter(o -> o.health().equals("Current")).count(), g.failed(),
              (int) own.stream().filter(o -> o.health().equals("Failed")).count(), g.message(), g.inventory(), g.source());
        })
        .toList();
    return new AgentView(a.name(), a.configProjectId(), a.createdAt(), !live.isEmpty(), a.lastSeenAt().orElse(null), live,
        configView(a), gitops);
  }

  private ConfigView configView(Agent a) {
    Optional<ConfigState> state = store.configStates().find(a.name());
    String fetchError = store.projects().lastFetch(a.configProjectId()).flatMap(ProjectFetch::error).orElse(null);
    ConfigView config = new ConfigView(a.configProjectId(), AgentConfigFiles.path(a.name()),
        state.map(s -> s.valid() ? "valid" : "invalid").orElse("pending"),
        state.flatMap(ConfigState::observedCommit).orElse(null),
        state.map(ConfigState::observedAt).orElse(null),
        state.map(ConfigState::errors).orElse(List.of()),
        state.flatMap(ConfigState::lastValid).map(ConfigState.ValidConfig::commit).orElse(null),
        state.flatMap(ConfigState::lastValid).map(ConfigState.ValidConfig::at).orElse(null),
        fetchError);
    return config;
  }

  private ApiModels.GitopsView gitopsView(GitopsStateStore.GitopsState state) {
    SyncRecord r = state.report();
    List<ApiModels.ObjectView> objects = r.objects().stream().map(o -> new ApiModels.ObjectView(o.group(), o.version(), o.kind(),
        o.namespace(), o.name(), o.action().apiName(), o.health().apiName(), o.message(), o.file(), o.hook().apiName())).toList();
    Instant started = r.startedUnixMillis() == 0 ? null : Instant.ofEpochMilli(r.startedUnixMillis());
    Instant finished = r.finishedUnixMillis() == 0 ? null : Instant.ofEpochMilli(r.finishedUnixMillis());
    return new ApiModels.GitopsView(state.projectId(), r.commit(), r.phase().apiName(), r.message(), started, finished,
        finished == null || started == null ? 0 : r.finishedUnixMillis() - r.startedUnixMillis(), r.applied(),
        r.unchanged(), r.pruned(), r.failed(), r.driftCorrected(), state.inventoryId(), r.inventory(), state.updatedAt(), objects,
        sources.of(state.agentName(), state.inventoryId()).map(s -> new ApiModels.SourceView(s.kind(), s.renders(), s.renderedAt(),
            s.renderCommit(), s.renderError(), s.resolved())).orElse(null));
  }

  private static TokenView tokenView(AgentToken t) {
    return new TokenView(t.id(), t.agentName(), t.description(), t.active() ? "active" : "revoked", t.createdAt(),
        t.lastUsedAt().orElse(null), t.revokedAt().orElse(null));
  }

  private static void error(Context ctx, int status, String message) {
    ctx.status(status).json(new ApiModels.ErrorBody(message));
  }
}
