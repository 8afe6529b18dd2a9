package dev.tether.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.tether.common.config.ManifestProject;
import dev.tether.server.configuration.ConfigurationFanOut;
import dev.tether.server.connection.AgentDirectory;
import dev.tether.server.events.EventLog;
import dev.tether.server.git.GitPoller;
import dev.tether.server.git.ProjectMirrors;
import dev.tether.server.gitops.SourceCommands;
import dev.tether.server.gitops.SourceStatus;
import dev.tether.server.http.ApplicationModels.ApplicationView;
import dev.tether.server.http.ApplicationModels.CommitView;
import dev.tether.server.http.ApplicationModels.HistoryEntry;
import dev.tether.server.http.ApplicationModels.SourceDetail;
import dev.tether.server.http.ApplicationModels.SourceObject;
import dev.tether.server.store.EventStore;
import dev.tether.server.store.GitopsStateStore.GitopsState;
import dev.tether.server.store.Project;
import dev.tether.server.store.Store;
import dev.tether.server.store.SyncRecord;
import io.javalin.http.Context;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code /api/v1/applications} and {@code /api/v1/agents/{name}/sources/{inventory}}: each agent's
 * manifest project entries as applications (the list, a page per source, its live children, one
 * object, its sync history) and the actions on them.
 */
final class ApplicationRoutes {
  /** What the application views read besides the store; absent parts (in a test of the routes alone) are never called. */
  record Parts(AgentDirectory connections, SourceStatus.Lookup sources, ConfigurationFanOut configurations, ProjectMirrors mirrors,
      GitPoller poller, EventLog events, ObjectInspection inspection, LiveObjects live, SourceCommands commands) {}

  private static final String SOURCE = "/api/v1/agents/{name}/sources/{inventory}";

  private final Store store;
  private final Parts parts;
  private final JsonBodies bodies;

  ApplicationRoutes(Store store, Parts parts, JsonBodies bodies) {
    this.store = store;
    this.parts = parts;
    this.bodies = bodies;
  }

  void register(ApiRoutes api) {
    for (String action : new String[] {"sync", "pause", "resume"}) {
      api.post(SOURCE + "/" + action, ctx -> command(ctx, action));
    }
    api.get("/api/v1/applications", ctx -> ctx.json(applications()));
    api.get(SOURCE, this::detailUnlessUnchanged);
    api.get(SOURCE + "/tree", ctx -> {
      Entry e = entry(ctx);
      int perKind = JsonBodies.intParam(ctx, "max_per_kind", LiveTree.MAX_PER_KIND);
      if (perKind < 1 || perKind > LiveTree.MAX_PER_KIND) {
        throw new ApiException(400, "max_per_kind must be between 1 and " + LiveTree.MAX_PER_KIND);
      }
      List<SyncRecord.ObjectRecord> objects = e.state().map(s -> s.report().objects()).orElse(List.of());
      try {
        LiveTree.Children found = LiveTree.children(parts.live(), e.agent(), objects, perKind);
        ctx.json(new ApplicationModels.TreeView(found.children(), null, found.capped()));
      } catch (ApiException unreachable) {
        ctx.json(new ApplicationModels.TreeView(List.of(), unreachable.getMessage(), List.of()));
      }
    });
    api.get(SOURCE + "/object", ctx -> {
      Entry e = entry(ctx);
      ctx.json(parts.inspection().inspect(e.agent(), e.inventoryId(), e.project(), e.state().map(GitopsState::report),
          new ObjectInspection.Key(param(ctx, "group", ""), param(ctx, "version", "v1"), param(ctx, "kind", null),
              param(ctx, "namespace", ""), param(ctx, "name", null))));
    });
    api.get(SOURCE + "/history", ctx -> ctx.json(history(entry(ctx), JsonBodies.intParam(ctx, "limit", 50))));
    api.post(SOURCE + "/refresh", ctx -> {
      Entry e = entry(ctx);
      parts.poller().fetchNow(e.project());
      parts.events().info("action", e.agent(), e.project(), "Refresh of " + e.project() + " (inventory " + e.inventoryId()
          + ") asked in the web UI or API: fetching Git now");
      ctx.status(202).json(new ApplicationModels.ActionResult("refresh", e.agent(), e.inventoryId(),
          "Fetching " + e.project() + " now; a new commit is sent to the agent as soon as it is fetched"));
    });
  }

  /** Sync now, pause or resume: sent down the entry's gitops stream; recorded in the events feed when the agent has it. */
  private void command(Context ctx, String action) {
    Entry e = entry(ctx);
    SourceCommands.Outcome outcome = switch (action) {
      case "sync" -> parts.commands().syncNow(e.agent(), e.inventoryId());
      case "pause" -> parts.commands().driftCorrection(e.agent(), e.inventoryId(), true);
      default -> parts.commands().driftCorrection(e.agent(), e.inventoryId(), false);
    };
    String what = switch (action) {
      case "sync" -> "Sync now";
      case "pause" -> "Pause of drift correction";
      default -> "Resume of drift correction";
    };
    switch (outcome) {
      case NOT_CONNECTED -> {
        if (action.equals("sync")) {
          throw new ApiException(409, "agent '" + e.agent() + "' has no open stream for " + e.project() + " on this server (it is "
              + "disconnected, or still connecting): nothing to sync now; it syncs when it connects");
        }
        parts.events().info("action", e.agent(), e.project(), what + " for " + e.project() + " (inventory " + e.inventoryId()
            + ") asked; the agent is told when it connects");
        ctx.status(202).json(new ApplicationModels.ActionResult(action, e.agent(), e.inventoryId(),
            what + " kept: the agent is not connected and is told when it connects"));
      }
      case AGENT_TOO_OLD -> throw new ApiException(409, "agent '" + e.agent() + "' runs a version that does not take sync, pause "
          + "or resume commands; upgrade it (refresh works with every version)");
      case SENT -> {
        parts.events().info("action", e.agent(), e.project(), what + " for " + e.project() + " (inventory " + e.inventoryId()
            + ") asked in the web UI or API; sent to the agent");
        ctx.status(202).json(new ApplicationModels.ActionResult(action, e.agent(), e.inventoryId(), switch (action) {
          case "sync" -> "The agent is applying " + e.project() + " now";
          case "pause" -> "Drift correction paused: changes made in the cluster are reported and left alone";
          default -> "Drift correction resumed: the agent puts back what differs from Git";
        }));
      }
      default -> throw new IllegalStateException();
    }
  }

  /** An agent's manifest project entry, from its configuration and/or its last report. */
  record Entry(String agent, String project, String inventoryId, Optional<ManifestProject> configured, Optional<GitopsState> state) {}

  private List<Entry> entries(String agent) {
    List<ManifestProject> configured = parts.configurations().current(agent)
        .map(c -> c.config().gitops().manifestProjects()).orElse(List.of());
    List<GitopsState> states = store.gitops().of(agent);
    List<Entry> entries = new ArrayList<>();
    for (ManifestProject p : configured) {
      String inventory = p.inventoryIdFor(agent);
      entries.add(new Entry(agent, p.id(), inventory, Optional.of(p),
          states.stream().filter(s -> s.inventoryId().equals(inventory)).findFirst()));
    }
    for (GitopsState s : states) {
      if (entries.stream().noneMatch(e -> e.inventoryId().equals(s.inventoryId()))) {
        entries.add(new Entry(agent, s.projectId(), s.inventoryId(), Optional.empty(), Optional.of(s)));
      }
    }
    return entries;
  }

  private Entry entry(Context ctx) {
    String agent = ctx.pathParam("name");
    if (store.agents().find(agent).isEmpty()) {
      throw new ApiException(404, "agent '" + agent + "' does not exist");
    }
    String inventory = ctx.pathParam("inventory");
    return entries(agent).stream().filter(e -> e.inventoryId().equals(inventory)).findFirst()
        .orElseThrow(() -> new ApiException(404, "agent '" + agent + "' has no manifest project with inventory id '" + inventory
            + "'; GET /api/v1/applications lists them"));
  }

  private List<ApplicationView> applications() {
    List<ApplicationView> views = new ArrayList<>();
    store.agents().list().forEach(a -> entries(a.name()).forEach(e -> views.add(view(e))));
    return views;
  }

  private ApplicationView view(Entry e) {
    Optional<SourceStatus> source = parts.sources().of(e.agent(), e.inventoryId());
    String ref = e.configured().map(p -> p.ref().toString()).orElse(null);
    boolean connected = !parts.connections().of(e.agent()).isEmpty();
    if (e.state().isEmpty()) {
      return new ApplicationView(e.agent(), e.project(), e.inventoryId(), source.map(SourceStatus::kind).orElse(null),
          source.map(SourceStatus::renders).orElse(null), ref, null, "pending", "no sync reported yet", "Unknown", 0, 0, 0, 0, 0, 0, 0,
          null, null, 0, connected, false, null, null, List.of());
    }
    SyncRecord r = e.state().get().report();
    List<SyncRecord.ObjectRecord> own = own(r);
    int healthy = count(own, SyncRecord.Health.CURRENT);
    int progressing = count(own, SyncRecord.Health.IN_PROGRESS);
    int degraded = (int) own.stream().filter(o -> o.health() == SyncRecord.Health.FAILED || o.action() == SyncRecord.Action.FAILED).count();
    int missing = count(own, SyncRecord.Health.NOT_FOUND);
    int drifted = (int) own.stream().filter(o -> o.action() == SyncRecord.Action.DRIFTED).count();
    // A sync in progress that lists no object yet (a first sync at an early wave, or waiting for its depends_on)
    // has no health to show: none of zero objects is not "all healthy".
    String health = degraded > 0 ? "Degraded" : missing > 0 ? "Missing" : progressing > 0 ? "Progressing"
        : own.isEmpty() && r.phase() == SyncRecord.Phase.SYNCING ? "Unknown"
        : healthy == own.size() ? "Healthy" : "Unknown";
    Instant started = r.startedUnixMillis() == 0 ? null : Instant.ofEpochMilli(r.startedUnixMillis());
    Instant finished = r.finishedUnixMillis() == 0 ? null : Instant.ofEpochMilli(r.finishedUnixMillis());
    return new ApplicationView(e.agent(), e.project(), e.inventoryId(), source.map(SourceStatus::kind).orElse(null),
        source.map(SourceStatus::renders).orElse(null), ref, r.commit(), r.phase().apiName(), r.message(), health, own.size(), healthy,
        progressing, degraded, missing, r.failed(), drifted, started, finished,
        started == null || finished == null ? 0 : r.finishedUnixMillis() - r.startedUnixMillis(), connected, r.driftPaused(),
        r.wave(), r.wave() == null ? null : r.waves(), r.waitingFor());
  }

  /** The entry's own objects: hooks and objects left alone (skipped) are in the report but are not the application. */
  private static List<SyncRecord.ObjectRecord> own(SyncRecord r) {
    return r.objects().stream().filter(o -> o.hook() == SyncRecord.Hook.NONE && o.action() != SyncRecord.Action.SKIPPED
        && o.action() != SyncRecord.Action.PRUNED).toList();
  }

  private static int count(List<SyncRecord.ObjectRecord> objects, SyncRecord.Health health) {
    return (int) objects.stream().filter(o -> o.health() == health).count();
  }

  /**
   * The page polls this every few seconds; for a source of thousands of objects the answer is large, so
   * an unchanged one is answered 304 (the ETag covers the report, the entry and what the header shows).
   */
  private void detailUnlessUnchanged(Context ctx) {
    Entry e = entry(ctx);
    ApplicationView view = view(e);
    String tag = "\"" + Integer.toHexString(java.util.Objects.hash(e.state().map(GitopsState::updatedAt).orElse(null),
        e.configured().orElse(null), view.connected(), view.commit(), parts.sources().of(e.agent(), e.inventoryId()).orElse(null)))
        + "\"";
    ctx.header("ETag", tag);
    ctx.header("Cache-Control", "no-cache");
    if (tag.equals(ctx.header("If-None-Match"))) {
      ctx.status(304);
      return;
    }
    ctx.json(detail(e));
  }

  private SourceDetail detail(Entry e) {
    ApplicationView view = view(e);
    CommitView commit = null;
    if (view.commit() != null && !view.commit().isEmpty()) {
      Optional<ProjectMirrors.CommitSummary> summary = parts.mirrors().describe(e.project(), view.commit());
      String url = store.projects().find(e.project()).map(Project::url).flatMap(u -> CommitLinks.of(u, view.commit())).orElse(null);
      commit = new CommitView(view.commit(), summary.map(ProjectMirrors.CommitSummary::message).orElse(null),
          summary.map(ProjectMirrors.CommitSummary::author).orElse(null), summary.map(ProjectMirrors.CommitSummary::at).orElse(null), url);
    }
    Optional<SourceStatus> source = parts.sources().of(e.agent(), e.inventoryId());
    List<SourceObject> objects = e.state().map(s -> s.report().objects().stream().map(o -> new SourceObject(o.group(), o.version(),
        o.kind(), o.namespace(), o.name(), o.action().apiName(), o.health().apiName(), o.message(), o.file(), o.hook().apiName()))
        .toList()).orElse(List.of());
    return new SourceDetail(view, commit, e.configured().map(p -> p.source().summary()).orElse(null),
        source.map(SourceStatus::renderError).orElse(null), objects);
  }

  private List<HistoryEntry> history(Entry e, int limit) {
    if (limit < 1 || limit > 200) {
      throw new ApiException(400, "limit must be between 1 and 200");
    }
    List<HistoryEntry> entries = new ArrayList<>();
    Optional<Long> before = Optional.empty();
    // The feed is kept per agent and kind; a source's syncs are those of its project. A few pages at most.
    for (int page = 0; page < 10 && entries.size() < limit; page++) {
      List<EventStore.Event> found = store.events().newest(Optional.of(e.agent()), Optional.of("sync"), before, 200);
      for (EventStore.Event event : found) {
        if (event.projectId().orElse("").equals(e.project()) && entries.size() < limit) {
          entries.add(historyEntry(event));
        }
      }
      if (found.size() < 200) {
        break;
      }
      before = Optional.of(found.get(found.size() - 1).id());
    }
    return entries;
  }

  @SuppressWarnings("unchecked")
  private HistoryEntry historyEntry(EventStore.Event event) {
    Map<String, Object> d;
    try {
      d = event.details().isEmpty() ? Map.of() : bodies.json.readValue(event.details().get(), Map.class);
    } catch (JsonProcessingException bad) {
      d = Map.of();
    }
    Object started = d.get("started_at");
    return new HistoryEntry(event.id(), event.at(), (String) d.get("commit"), (String) d.get("phase"), event.message(),
        number(d.get("applied")), number(d.get("unchanged")), number(d.get("pruned")), number(d.get("failed")),
        number(d.get("duration_ms")), started == null ? null : Instant.parse(started.toString()),
        d.get("changes") instanceof List<?> changes ? changes.stream().map(String::valueOf).toList() : List.of());
  }

  private static int number(Object value) {
    return value instanceof Number n ? n.intValue() : 0;
  }

  private static String param(Context ctx, String name, String otherwise) {
    String value = ctx.queryParam(name);
    if (value == null) {
      if (otherwise == null) {
        throw new ApiException(400, "the query parameter '" + name + "' is required");
      }
      return otherwise;
    }
    return value;
  }
}
