package dev.tether.server.http;

import dev.tether.server.configuration.AgentConfigFiles;
import dev.tether.server.connection.AgentConnections;
import dev.tether.server.connection.AgentDirectory;
import dev.tether.server.gitops.SourceStatus;
import dev.tether.server.http.ApiModels.AgentRequest;
import dev.tether.server.http.ApiModels.AgentView;
import dev.tether.server.http.ApiModels.ConfigView;
import dev.tether.server.http.ApiModels.ConnectionView;
import dev.tether.server.http.ApiModels.TokenRequest;
import dev.tether.server.registry.Registry;
import dev.tether.server.store.Agent;
import dev.tether.server.store.ConfigState;
import dev.tether.server.store.GitopsStateStore;
import dev.tether.server.store.ProjectFetch;
import dev.tether.server.store.Store;
import dev.tether.server.store.SyncRecord;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * {@code /api/v1/agents} and {@code /api/v1/connections}: the agents, their tokens, their
 * configuration and GitOps state, and who is connected now.
 */
final class AgentRoutes {
  private final Store store;
  private final Registry registry;
  private final AgentDirectory connections;
  private final SourceStatus.Lookup sources;
  private final JsonBodies bodies;

  AgentRoutes(Store store, Registry registry, AgentDirectory connections, SourceStatus.Lookup sources, JsonBodies bodies) {
    this.store = store;
    this.registry = registry;
    this.connections = connections;
    this.sources = sources;
    this.bodies = bodies;
  }

  void register(ApiRoutes api) {
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
      ctx.json(store.tokens().list(Optional.of(ctx.pathParam("name"))).stream().map(TokenRoutes::tokenView).toList());
    });
    api.post("/api/v1/agents/{name}/tokens", ctx -> {
      TokenRequest request = bodies.read(ctx, TokenRequest.class, new TokenRequest(""));
      Registry.IssuedToken issued = registry.createToken(ctx.pathParam("name"), request.description());
      ctx.status(201).json(new ApiModels.CreatedToken(TokenRoutes.tokenView(issued.token()), issued.secret().reveal()));
    });
    api.get("/api/v1/connections", ctx -> ctx.json(connections.all().stream().map(this::connectionView).toList()));
  }

  private void createAgent(Context ctx) {
    AgentRequest request = bodies.read(ctx, AgentRequest.class, null);
    if (request.name() == null || request.configProject() == null) {
      throw new ApiException(400, "'name' and 'config_project' are required");
    }
    Registry.IssuedToken issued = registry.createAgent(request.name(), request.configProject());
    ctx.status(201).json(new ApiModels.CreatedAgent(agentView(agent(request.name())), TokenRoutes.tokenView(issued.token()),
        issued.secret().reveal()));
  }

  private Agent agent(String name) {
    return store.agents().find(name).orElseThrow(() -> new ApiException(404, "agent '" + name + "' does not exist"));
  }

  private ConnectionView connectionView(AgentConnections.Connection c) {
    return new ConnectionView(c.id(), c.agentName(), c.since(), c.version(), c.podName(), c.podNamespace(), c.clusterVersion(),
        c.remoteAddress(), c.lastHeartbeat(), connections.applies(c.agentName(), c.id()), c.replicaId());
  }

  /** The agent's config state with the text of the configuration in use. */
  private ApiModels.ConfigDocument configDocument(Agent a) {
    Optional<ConfigState.ValidConfig> valid = store.configStates().find(a.name()).flatMap(ConfigState::lastValid);
    return new ApiModels.ConfigDocument(configView(a),
        valid.map(v -> new String(v.content(), StandardCharsets.UTF_8)).orElse(null));
  }

  private AgentView agentView(Agent a) {
    List<ConnectionView> live = connections.of(a.name()).stream().map(this::connectionView).toList();
    List<ApiModels.SyncSummary> gitops = store.gitops().of(a.name()).stream().map(this::gitopsView)
        .map(g -> {
          // The entry's own objects: hooks and objects left alone (skipped) are listed in the report but are not the application.
          List<ApiModels.ObjectView> own = g.objects().stream().filter(o -> o.hook().isEmpty() && !o.action().equals("skipped")).toList();
          return new ApiModels.SyncSummary(g.project(), g.commit(), g.phase(), g.finishedAt(), own.size(),
              (int) own.stream().filter(o -> o.health().equals("Current")).count(), g.failed(),
              (int) own.stream().filter(o -> o.health().equals("Failed")).count(), g.message(), g.inventory(), g.source(),
              g.wave(), g.waves(), g.waitingFor());
        })
        .toList();
    return new AgentView(a.name(), a.configProjectId(), a.createdAt(), !live.isEmpty(), a.lastSeenAt().orElse(null), live,
        configView(a), gitops);
  }

  private ConfigView configView(Agent a) {
    Optional<ConfigState> state = store.configStates().find(a.name());
    String fetchError = store.projects().lastFetch(a.configProjectId()).flatMap(ProjectFetch::error).orElse(null);
    return new ConfigView(a.configProjectId(), AgentConfigFiles.path(a.name()),
        state.map(s -> s.valid() ? "valid" : "invalid").orElse("pending"),
        state.flatMap(ConfigState::observedCommit).orElse(null),
        state.map(ConfigState::observedAt).orElse(null),
        state.map(ConfigState::errors).orElse(List.of()),
        state.flatMap(ConfigState::lastValid).map(ConfigState.ValidConfig::commit).orElse(null),
        state.flatMap(ConfigState::lastValid).map(ConfigState.ValidConfig::at).orElse(null),
        fetchError);
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
            s.renderCommit(), s.renderError(), s.resolved())).orElse(null), r.wave(), r.wave() == null ? null : r.waves(),
        r.waitingFor());
  }
}
