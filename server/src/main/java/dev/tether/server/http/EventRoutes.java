package dev.tether.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.tether.server.store.EventStore;
import dev.tether.server.store.Store;
import io.javalin.http.Context;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** {@code /api/v1/events}: the newest events first, a page at a time. */
final class EventRoutes {
  private final Store store;
  private final JsonBodies bodies;

  EventRoutes(Store store, JsonBodies bodies) {
    this.store = store;
    this.bodies = bodies;
  }

  void register(ApiRoutes api) {
    api.get("/api/v1/events", this::events);
  }

  private void events(Context ctx) {
    int limit = JsonBodies.intParam(ctx, "limit", 50);
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
        return bodies.json.readValue(text, Map.class);
      } catch (JsonProcessingException bad) {
        return Map.of("unreadable", text);
      }
    }).orElse(null);
    return new ApiModels.EventView(e.id(), e.at(), e.kind(), e.severity(), e.agentName().orElse(null), e.projectId().orElse(null),
        e.message(), details);
  }
}
