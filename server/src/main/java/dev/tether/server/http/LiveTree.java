package dev.tether.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.server.store.SyncRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The children a source's workloads have in the cluster, found by owner references: Deployment →
 * ReplicaSet → Pod, StatefulSet and DaemonSet → Pod, CronJob → Job → Pod, Job → Pod. Per namespace
 * it lists each kind once (not once per object), so a source of many Deployments costs a few
 * requests, and it shows what is there now with a health read from the child's status.
 */
final class LiveTree {
  /** Kinds whose children are shown, by group; children are listed only where such an object is. */
  private static final Map<String, String> OWNERS = Map.of("Deployment", "apps", "StatefulSet", "apps", "DaemonSet", "apps",
      "Job", "batch", "CronJob", "batch");
  /** Objects of one kind in one namespace read at most: past that the page says the tree is cut. */
  static final int MAX_PER_KIND = 10_000;

  /**
   * One child: {@code parent} is the key ({@code Kind/namespace/name}) of the object that owns it, a
   * source object or another child; health is a kstatus name (Current, InProgress, Failed).
   */
  record Child(String parent, String group, String version, String kind, String namespace, String name, String health,
      String status) {}

  /** The children, and one line per list the cap cut ("Pod in shop: the first 10000"). */
  record Children(List<Child> children, List<String> capped) {}

  private LiveTree() {}

  static String key(String kind, String namespace, String name) {
    return kind + "/" + namespace + "/" + name;
  }

  /** @param perKind objects of one kind in one namespace read at most (up to {@link #MAX_PER_KIND}) */
  static Children children(LiveObjects live, String agent, List<SyncRecord.ObjectRecord> objects, int perKind) {
    Map<String, Set<String>> ownersByNamespace = new HashMap<>();
    for (SyncRecord.ObjectRecord o : objects) {
      if (OWNERS.containsKey(o.kind()) && OWNERS.get(o.kind()).equals(o.group()) && o.action() != SyncRecord.Action.PRUNED) {
        ownersByNamespace.computeIfAbsent(o.namespace(), k -> new LinkedHashSet<>()).add(o.kind());
      }
    }
    Set<String> sourceKeys = new java.util.HashSet<>();
    objects.forEach(o -> sourceKeys.add(key(o.kind(), o.namespace(), o.name())));
    List<Child> children = new ArrayList<>();
    List<String> capped = new ArrayList<>();
    for (Map.Entry<String, Set<String>> namespace : ownersByNamespace.entrySet()) {
      String ns = namespace.getKey();
      Set<String> kinds = namespace.getValue();
      Map<String, String> keyByUid = new HashMap<>();
      for (String kind : kinds) {
        for (JsonNode item : listed(live.list(agent, OWNERS.get(kind), "v1", kind, ns, perKind), kind, ns, capped)) {
          String k = key(kind, ns, item.path("metadata").path("name").asText());
          if (sourceKeys.contains(k)) {
            keyByUid.put(item.path("metadata").path("uid").asText(), k);
          }
        }
      }
      // Owners before what they own: a Job of a CronJob, a ReplicaSet of a Deployment, then Pods.
      if (kinds.contains("CronJob")) {
        adopt(listed(live.list(agent, "batch", "v1", "Job", ns, perKind), "Job", ns, capped), "batch", "Job", ns, keyByUid,
            sourceKeys, children);
      }
      if (kinds.contains("Deployment")) {
        adopt(listed(live.list(agent, "apps", "v1", "ReplicaSet", ns, perKind), "ReplicaSet", ns, capped), "apps", "ReplicaSet",
            ns, keyByUid, sourceKeys, children);
      }
      adopt(listed(live.list(agent, "", "v1", "Pod", ns, perKind), "Pod", ns, capped), "", "Pod", ns, keyByUid, sourceKeys,
          children);
    }
    return new Children(children, capped);
  }

  private static JsonNode listed(LiveObjects.Listed listed, String kind, String ns, List<String> capped) {
    if (listed.capped()) {
      capped.add(kind + " in " + (ns.isEmpty() ? "the cluster" : ns) + ": only the first " + listed.items().size()
          + " were read; children beyond them are not shown");
    }
    return listed.items();
  }

  private static void adopt(JsonNode items, String group, String kind, String ns, Map<String, String> keyByUid, Set<String> sourceKeys,
      List<Child> children) {
    for (JsonNode item : items) {
      JsonNode meta = item.path("metadata");
      String self = key(kind, ns, meta.path("name").asText());
      for (JsonNode owner : meta.path("ownerReferences")) {
        String parent = keyByUid.get(owner.path("uid").asText());
        if (parent != null && !sourceKeys.contains(self)) {
          keyByUid.put(meta.path("uid").asText(), self);
          String[] health = health(kind, item);
          children.add(new Child(parent, group, "v1", kind, ns, meta.path("name").asText(), health[0], health[1]));
          break;
        }
      }
    }
  }

  /** kstatus-like health of a child, with a few words on why. */
  static String[] health(String kind, JsonNode item) {
    JsonNode status = item.path("status");
    switch (kind) {
      case "Pod" -> {
        String phase = status.path("phase").asText("Pending");
        for (JsonNode c : status.path("containerStatuses")) {
          String waiting = c.path("state").path("waiting").path("reason").asText("");
          if (waiting.equals("CrashLoopBackOff") || waiting.equals("ImagePullBackOff") || waiting.equals("ErrImagePull")
              || waiting.equals("CreateContainerConfigError") || waiting.equals("InvalidImageName")) {
            return new String[] {"Failed", waiting + ": " + c.path("state").path("waiting").path("message").asText("")};
          }
        }
        if (phase.equals("Succeeded")) {
          return new String[] {"Current", "Completed"};
        }
        if (phase.equals("Failed")) {
          return new String[] {"Failed", "Failed: " + status.path("reason").asText(status.path("message").asText(""))};
        }
        int ready = 0;
        int all = status.path("containerStatuses").size();
        for (JsonNode c : status.path("containerStatuses")) {
          ready += c.path("ready").asBoolean() ? 1 : 0;
        }
        if (phase.equals("Running") && all > 0 && ready == all) {
          return new String[] {"Current", "Running, " + ready + "/" + all + " ready"};
        }
        String unscheduled = "";
        for (JsonNode cond : status.path("conditions")) {
          if (cond.path("type").asText().equals("PodScheduled") && cond.path("status").asText().equals("False")) {
            unscheduled = ": " + cond.path("reason").asText() + " " + cond.path("message").asText("");
          }
        }
        return new String[] {"InProgress", phase + (all > 0 ? ", " + ready + "/" + all + " ready" : "") + unscheduled};
      }
      case "ReplicaSet" -> {
        long want = item.path("spec").path("replicas").asLong(1);
        long ready = status.path("readyReplicas").asLong(0);
        if (want == 0) {
          return new String[] {"Current", "scaled to 0 (an older revision)"};
        }
        return new String[] {ready >= want ? "Current" : "InProgress", ready + "/" + want + " ready"};
      }
      case "Job" -> {
        for (JsonNode cond : status.path("conditions")) {
          if (cond.path("status").asText().equals("True")) {
            if (cond.path("type").asText().equals("Complete")) {
              return new String[] {"Current", "Complete"};
            }
            if (cond.path("type").asText().equals("Failed")) {
              return new String[] {"Failed", cond.path("reason").asText() + ": " + cond.path("message").asText("")};
            }
          }
        }
        return new String[] {"InProgress", status.path("active").asLong(0) + " running"};
      }
      default -> {
        return new String[] {"Unknown", ""};
      }
    }
  }
}
