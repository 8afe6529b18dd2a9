package dev.tether.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.common.yaml.SafeYaml;
import dev.tether.common.yaml.YamlLimits;
import dev.tether.common.yaml.YamlProblem;
import dev.tether.common.yaml.YamlValues;
import dev.tether.server.git.RepositoryFileException;
import dev.tether.server.gitops.DesiredFiles;
import dev.tether.server.http.ApplicationModels.KubeEvent;
import dev.tether.server.http.ApplicationModels.ObjectDetail;
import dev.tether.server.store.SyncRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * The object panel: one object live from the cluster, as Git wants it, the difference in the fields
 * Git sets, and its events. Each part that cannot be had says why, and the others are still shown.
 */
final class ObjectInspection {
  private static final YamlLimits MANIFEST = new YamlLimits(16 * 1024 * 1024, 64, 50, 1_000_000);

  record Key(String group, String version, String kind, String namespace, String name) {}

  private final LiveObjects live;
  private final DesiredFiles desired;
  private final ObjectMapper json;

  ObjectInspection(LiveObjects live, DesiredFiles desired, ObjectMapper json) {
    this.live = live;
    this.desired = desired;
    this.json = json;
  }

  @SuppressWarnings("unchecked")
  ObjectDetail inspect(String agent, String inventoryId, String project, Optional<SyncRecord> report, Key key) {
    List<String> problems = new ArrayList<>();
    Optional<SyncRecord.ObjectRecord> recorded = report.flatMap(r -> r.objects().stream().filter(o -> o.kind().equals(key.kind())
        && o.name().equals(key.name()) && o.namespace().equals(key.namespace()) && o.group().equals(key.group())).findFirst());
    JsonNode liveObject = null;
    try {
      liveObject = live.get(agent, key.group(), key.version(), key.kind(), key.namespace(), key.name()).orElse(null);
      if (liveObject == null) {
        problems.add(key.kind() + " " + key.name() + " does not exist in the cluster");
      }
    } catch (ApiException e) {
      problems.add("live object: " + e.getMessage());
    }
    JsonNode desiredObject = null;
    if (recorded.isPresent() && report.isPresent()) {
      try {
        desiredObject = desiredObject(agent, inventoryId, project, report.get().commit(), recorded.get(), key).orElse(null);
        if (desiredObject == null) {
          problems.add("desired object: " + recorded.get().file() + " at " + shortCommit(report.get().commit())
              + " has no " + key.kind() + " " + key.name() + " the server can read now");
        }
      } catch (RepositoryFileException | YamlProblem e) {
        problems.add("desired object: " + e.getMessage());
      }
    }
    List<ObjectDiff.Change> diff = desiredObject != null && liveObject != null ? ObjectDiff.of(desiredObject, liveObject) : null;
    List<KubeEvent> events = null;
    try {
      events = new ArrayList<>();
      for (JsonNode e : live.events(agent, key.kind(), key.namespace(), key.name())) {
        events.add(new KubeEvent(e.path("type").asText(), e.path("reason").asText(), e.path("message").asText(),
            e.path("count").asInt(1), e.path("lastTimestamp").asText(e.path("eventTime").asText("")),
            e.path("source").path("component").asText(e.path("reportingComponent").asText(""))));
      }
    } catch (ApiException e) {
      events = null;
      problems.add("events: " + e.getMessage());
    }
    return new ObjectDetail(key.kind(), key.namespace(), key.name(), recorded.map(o -> o.action().apiName()).orElse(null),
        recorded.map(o -> o.health().apiName()).orElse(null), recorded.map(SyncRecord.ObjectRecord::message).orElse(null),
        recorded.map(SyncRecord.ObjectRecord::file).orElse(null),
        liveObject == null ? null : json.convertValue(ObjectDiff.redacted(liveObject), Map.class),
        desiredObject == null ? null : json.convertValue(ObjectDiff.redacted(desiredObject), Map.class), diff, events, problems);
  }

  /** The document of the object's file that is this object (same kind and name; namespace when the file sets one). */
  private Optional<JsonNode> desiredObject(String agent, String inventoryId, String project, String commit, SyncRecord.ObjectRecord o,
      Key key) throws RepositoryFileException, YamlProblem {
    if (o.file() == null || o.file().isEmpty()) {
      return Optional.empty();
    }
    Optional<byte[]> file = desired.file(agent, inventoryId, project, commit, o.file());
    if (file.isEmpty()) {
      return Optional.empty();
    }
    for (Node document : SafeYaml.readAll(file.get(), MANIFEST)) {
      JsonNode candidate = json.valueToTree(YamlValues.toValue(document));
      JsonNode meta = candidate.path("metadata");
      String namespace = meta.path("namespace").asText("");
      if (candidate.path("kind").asText().equals(key.kind()) && meta.path("name").asText().equals(key.name())
          && (namespace.isEmpty() || namespace.equals(key.namespace()))) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  private static String shortCommit(String commit) {
    return commit.length() > 12 ? commit.substring(0, 12) : commit;
  }
}
