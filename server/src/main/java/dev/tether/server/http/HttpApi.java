package dev.tether.server.http;

import dev.tether.common.token.MalformedTokenException;
import dev.tether.server.configuration.ConfigurationFanOut;
import dev.tether.server.connection.AgentDirectory;
import dev.tether.server.events.ChangeFeed;
import dev.tether.server.events.EventLog;
import dev.tether.server.git.ProjectMirrors;
import dev.tether.server.gitops.DesiredFiles;
import dev.tether.server.gitops.SourceCommands;
import dev.tether.server.kubeproxy.ClusterReads;
import dev.tether.server.git.GitPoller;
import dev.tether.server.gitops.SourceStatus;
import dev.tether.server.registry.Registry;
import dev.tether.server.registry.RegistryException;
import dev.tether.server.store.Store;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.json.JavalinJackson;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP API v1: projects, agents, agent tokens, connections and configuration state for
 * administrators (bearer admin token), plus push webhooks for Git hosts (signed per project). This
 * class holds what every route shares (the admin check, JSON, errors as JSON); each resource's
 * routes are a class of their own.
 */
public final class HttpApi {
  private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
  /** Bodies are small JSON or webhook payloads; anything larger is refused before it is read. */
  static final long MAX_BODY_BYTES = 1024 * 1024;

  private final Store store;
  private final AdminToken adminToken;
  private final JsonBodies bodies = new JsonBodies();
  private final ServerRoutes server;
  private final ProjectRoutes projects;
  private final AgentRoutes agents;
  private final EventRoutes events;
  private final TokenRoutes tokens;
  private final ApplicationRoutes applications;
  // The live event stream and its tickets; null in a test of the routes alone.
  private final EventStreams streams;
  private final StreamTickets tickets;
  private final List<ApiRoutes.Route> routes = new ArrayList<>();

  /**
   * Where this server is reached, for install commands.
   *
   * @param agentAddress the agent listener, host:port (a host of 0.0.0.0 means "any of this machine's addresses")
   * @param devCaFile the development CA's certificate, when the server made its own
   */
  public record Endpoints(String agentAddress, String kubeProxyUrl, Optional<Path> devCaFile) {}

  public HttpApi(Store store, Registry registry, AgentDirectory connections, GitPoller poller, AdminToken adminToken,
      Supplier<Endpoints> endpoints, SourceStatus.Lookup sources, Applications applicationParts) {
    this.store = store;
    this.adminToken = adminToken;
    this.server = new ServerRoutes(endpoints);
    this.projects = new ProjectRoutes(store, registry, poller, bodies);
    this.agents = new AgentRoutes(store, registry, connections, sources, bodies);
    this.events = new EventRoutes(store, bodies);
    this.tokens = new TokenRoutes(store, registry, bodies);
    this.applications = new ApplicationRoutes(store, applicationParts == null ? null : applicationParts.parts(connections, sources,
        poller, bodies), bodies);
    this.streams = applicationParts == null ? null : new EventStreams(applicationParts.changes(), EventStreams.MAX_STREAMS);
    this.tickets = adminToken == null ? null : new StreamTickets(adminToken.derivedKey("event stream tickets"), Clock.systemUTC());
  }

  /** Ends the live event streams (the server is stopping). */
  public void close() {
    if (streams != null) {
      streams.close();
    }
  }

  /** What the applications views need from other modules: the configurations, Git mirrors, desired files, cluster reads, events. */
  public record Applications(ConfigurationFanOut configurations, ProjectMirrors mirrors, DesiredFiles desired, ClusterReads cluster,
      EventLog events, SourceCommands commands, ChangeFeed changes) {
    ApplicationRoutes.Parts parts(AgentDirectory connections, SourceStatus.Lookup sources, GitPoller poller, JsonBodies bodies) {
      LiveObjects live = new LiveObjects(cluster, bodies.json);
      return new ApplicationRoutes.Parts(connections, sources, configurations, mirrors, poller, events,
          new ObjectInspection(live, desired, bodies.json), live, commands);
    }
  }

  /** The API routes {@link #register} registered, for checking them against the OpenAPI document. */
  List<ApiRoutes.Route> routes() {
    return List.copyOf(routes);
  }

  /** Adds the API, its admin check and its error answers to an HTTP listener's configuration. */
  public void register(JavalinConfig cfg) {
    cfg.http.maxRequestSize = MAX_BODY_BYTES;
    cfg.jsonMapper(new JavalinJackson(bodies.json, false));

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

    // The listener stops before the modules: end the streams first, so that pages hear "closing" and reconnect elsewhere.
    cfg.events.serverStopping(this::close);
    ApiRoutes api = new ApiRoutes(cfg.routes, routes);
    server.register(api);
    WebUi.register(cfg.routes);
    projects.register(api);
    agents.register(api);
    applications.register(api);
    events.register(api);
    api.post("/api/v1/events/stream-tickets", ctx -> ctx.status(201).json(tickets.issue()));
    api.get("/api/v1/events/stream", ctx -> {
      if (streams == null) {
        throw new ApiException(503, "this server has no live event stream; poll instead");
      }
      EventStreams.requireEventStreamAccepted(ctx); // before the ticket is used up
      if (!tickets.redeem(ctx.queryParam("ticket"))) {
        throw new ApiException(401, "the event stream needs a fresh ticket from POST /api/v1/events/stream-tickets (with the admin "
            + "token); a ticket opens one stream within " + StreamTickets.VALID_FOR.toSeconds() + " s of being issued");
      }
      streams.serve(ctx, Optional.ofNullable(ctx.queryParam("agent")));
    });
    tokens.registerAccessTokens(api);
    ChartRepositoryRoutes.register(api, () -> store.chartRepositories(), Clock.systemUTC(), (ctx, type) -> bodies.read(ctx, type, null));
    tokens.registerAgentTokens(api);
  }

  private void requireAdmin(Context ctx) {
    if (ctx.method() == HandlerType.POST && ctx.path().endsWith("/hooks/push")) {
      return; // Git hosts sign webhooks with the project's secret instead.
    }
    if (ctx.path().equals("/api/v1/openapi.json")) {
      return; // describes the API, reveals nothing
    }
    if (ctx.method() == HandlerType.GET && ctx.path().equals("/api/v1/events/stream")) {
      return; // EventSource sends no header: a single-use ticket issued for the admin token stands in for it
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

  private static void error(Context ctx, int status, String message) {
    ctx.status(status).json(new ApiModels.ErrorBody(message));
  }
}
