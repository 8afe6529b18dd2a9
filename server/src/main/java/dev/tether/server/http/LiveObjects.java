package dev.tether.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.tether.server.kubeproxy.ClusterReads;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads objects of an agent's cluster for the web UI, through {@link ClusterReads}: one object by
 * kind and name, lists of a kind in a namespace, and an object's events. Resource names (plurals)
 * come from the API server's discovery, kept per agent and group/version.
 */
final class LiveObjects {
  private final ClusterReads cluster;
  private final ObjectMapper json;
  // agent + " " + group/version -> kind -> {plural, namespaced}
  private final Map<String, Map<String, Resource>> discovered = new ConcurrentHashMap<>();

  record Resource(String plural, boolean namespaced) {}

  LiveObjects(ClusterReads cluster, ObjectMapper json) {
    this.cluster = cluster;
    this.json = json;
  }

  /** The object, or empty when the API server says it does not exist. */
  Optional<JsonNode> get(String agent, String group, String version, String kind, String namespace, String name) {
    Resource r = resource(agent, group, version, kind);
    String path = base(group, version) + (r.namespaced() && !namespace.isEmpty() ? "/namespaces/" + seg(namespace) : "")
        + "/" + r.plural() + "/" + seg(name);
    return read(agent, path, "");
  }

  /** A list read in pages: its items, and whether {@code cap} cut it (the API server had more). */
  record Listed(ArrayNode items, boolean capped) {}

  /** Objects per page of a list: a page is one request through the tunnel, a few MB at most. */
  static final int PAGE = 500;

  /**
   * The objects of a kind in a namespace, read page by page ({@code limit} and {@code continue}) up to
   * {@code cap}; an empty list when the kind is not served.
   */
  Listed list(String agent, String group, String version, String kind, String namespace, int cap) {
    Resource r = resource(agent, group, version, kind);
    String path = base(group, version) + (r.namespaced() ? "/namespaces/" + seg(namespace) : "") + "/" + r.plural();
    ArrayNode items = json.createArrayNode();
    String next = "";
    do {
      int limit = Math.min(PAGE, cap - items.size());
      Optional<JsonNode> page = read(agent, path, "limit=" + limit
          + (next.isEmpty() ? "" : "&continue=" + URLEncoder.encode(next, StandardCharsets.UTF_8)));
      if (page.isEmpty()) {
        return new Listed(items, false);
      }
      page.get().path("items").forEach(items::add);
      next = page.get().path("metadata").path("continue").asText("");
    } while (!next.isEmpty() && items.size() < cap);
    return new Listed(items, !next.isEmpty());
  }

  /** The object's Kubernetes events, as the API server lists them (core/v1 Event). */
  JsonNode events(String agent, String kind, String namespace, String name) {
    String selector = "involvedObject.kind=" + kind + ",involvedObject.name=" + name;
    String path = namespace.isEmpty() ? "/api/v1/events" : "/api/v1/namespaces/" + seg(namespace) + "/events";
    return read(agent, path, "fieldSelector=" + URLEncoder.encode(selector, StandardCharsets.UTF_8) + "&limit=200")
        .map(list -> list.path("items")).orElse(json.createArrayNode());
  }

  boolean serves(String agent, String group, String version, String kind) {
    return discovery(agent, group, version).containsKey(kind);
  }

  private Resource resource(String agent, String group, String version, String kind) {
    Resource r = discovery(agent, group, version).get(kind);
    if (r == null) {
      throw new ApiException(404, "the cluster of agent '" + agent + "' serves no kind " + kind + " in "
          + (group.isEmpty() ? version : group + "/" + version));
    }
    return r;
  }

  private Map<String, Resource> discovery(String agent, String group, String version) {
    String key = agent + " " + group + "/" + version;
    Map<String, Resource> known = discovered.get(key);
    if (known != null) {
      return known;
    }
    Map<String, Resource> kinds = new ConcurrentHashMap<>();
    read(agent, base(group, version), "").ifPresent(list -> list.path("resources").forEach(res -> {
      String plural = res.path("name").asText();
      if (!plural.contains("/")) {
        kinds.putIfAbsent(res.path("kind").asText(), new Resource(plural, res.path("namespaced").asBoolean()));
      }
    }));
    if (!kinds.isEmpty()) {
      discovered.put(key, kinds);
    }
    return kinds;
  }

  private Optional<JsonNode> read(String agent, String path, String query) {
    ClusterReads.Answer answer;
    try {
      answer = cluster.get(agent, path, query);
    } catch (ClusterReads.UnreachableException e) {
      throw new ApiException(503, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException(503, "the server is stopping");
    }
    if (answer.status() == 404) {
      return Optional.empty();
    }
    JsonNode body;
    try {
      body = json.readTree(answer.body());
    } catch (IOException e) {
      throw new ApiException(502, "the API server of agent '" + agent + "' answered GET " + path + " with something other than JSON");
    }
    if (!answer.ok()) {
      throw new ApiException(502, "the API server of agent '" + agent + "' refused GET " + path + " (" + answer.status() + "): "
          + body.path("message").asText("no reason given"));
    }
    return Optional.of(body);
  }

  private static String base(String group, String version) {
    return group.isEmpty() ? "/api/" + seg(version) : "/apis/" + seg(group) + "/" + seg(version);
  }

  private static String seg(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
