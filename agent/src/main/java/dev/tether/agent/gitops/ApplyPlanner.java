package dev.tether.agent.gitops;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Decides what a commit's objects are before anything is written: their types, their namespaces, and
 * which ones cannot be applied (an unknown kind, a namespace on a cluster-scoped kind, the same object
 * twice, an object another manifest project claims). Reads discovery only.
 */
final class ApplyPlanner {

  /** Where the API server serves a kind; empty when it does not. */
  @FunctionalInterface
  interface TypeLookup {
    Optional<ResourceType> find(String apiVersion, String kind);
  }

  /**
   * What to apply, in manifest order, and what was refused. An object without a type yet is of a kind
   * that a CRD of this commit defines and the cluster does not serve yet: only for those is a CRD waited for.
   *
   * @param crdKinds "group/Kind" of each kind the commit's own CRDs define
   */
  record Plan(List<PlannedObject> objects, List<ObjectResult> refused, Set<String> crdKinds) {}

  private final TypeLookup types;
  private final ObjectClaims claims;

  ApplyPlanner(TypeLookup types, ObjectClaims claims) {
    this.types = types;
    this.claims = claims;
  }

  Plan plan(List<DesiredObject> objects, String defaultNamespace, String inventoryId, String owner) {
    Set<String> crdKinds = new TreeSet<>();
    for (DesiredObject o : objects) {
      if (o.key().isCrd()) {
        crdKinds.addAll(crdServes(o.content()));
      }
    }
    Map<ObjectKey, ObjectResult> refused = new LinkedHashMap<>();
    List<PlannedObject> plan = new ArrayList<>();
    Map<ObjectKey, DesiredObject> seen = new HashMap<>();
    for (DesiredObject o : objects) {
      Optional<ResourceType> type = types.find(o.apiVersion(), o.kind());
      if (type.isEmpty() && !crdKinds.contains(o.group() + "/" + o.kind())) {
        refused.put(o.key(), failure(o, "kind " + o.kind() + " of " + o.apiVersion() + " is not served by the cluster "
            + "(is its CustomResourceDefinition missing?)"));
        continue;
      }
      PlannedObject p;
      if (type.isPresent()) {
        Optional<PlannedObject> scoped = scoped(o, withOwner(o.content(), inventoryId), type.get(), defaultNamespace, refused);
        if (scoped.isEmpty()) {
          continue;
        }
        p = scoped.get();
      } else {
        // A kind of a CRD this commit applies: found once that CRD is served. Most custom resources are
        // namespaced; the CRD then says for sure.
        ObjectKey guessed = o.namespace().isEmpty() ? new ObjectKey(o.group(), o.kind(), defaultNamespace, o.name()) : o.key();
        p = new PlannedObject(o, withOwner(o.content(), inventoryId), null, guessed);
      }
      DesiredObject other = seen.putIfAbsent(p.key(), o);
      if (other != null) {
        refused.put(p.key(), failure(o, p.key() + " is defined twice: in " + other.source() + " and in " + o.source()));
        plan.removeIf(q -> q.key().equals(p.key()));
        continue;
      }
      Optional<String> holder = claims.claim(p.key(), owner);
      if (holder.isPresent()) {
        refused.put(p.key(), failure(o, "conflict: manifest project '" + holder.get() + "' also selects " + p.key()
            + "; an object must belong to one manifest project"));
        continue;
      }
      plan.add(p);
    }
    return new Plan(List.copyOf(plan), List.copyOf(refused.values()), Set.copyOf(crdKinds));
  }

  /**
   * The object with its type and namespace: a namespaced kind without one gets the default namespace, and
   * a cluster-scoped kind with one is refused (into {@code refused}).
   */
  @SuppressWarnings("unchecked")
  static Optional<PlannedObject> scoped(DesiredObject o, Map<String, Object> content, ResourceType type, String defaultNamespace,
      Map<ObjectKey, ObjectResult> refused) {
    String namespace = o.namespace();
    if (type.namespaced() && namespace.isEmpty()) {
      namespace = defaultNamespace;
      ((Map<String, Object>) content.get("metadata")).put("namespace", namespace);
    } else if (!type.namespaced() && !namespace.isEmpty()) {
      refused.put(o.key(), failure(o, o.kind() + " is cluster-scoped but has namespace " + namespace));
      return Optional.empty();
    }
    return Optional.of(new PlannedObject(o, content, type, new ObjectKey(o.group(), o.kind(), namespace, o.name())));
  }

  /** The group/kind pairs a CRD manifest defines. */
  @SuppressWarnings("unchecked")
  static Collection<String> crdServes(Map<String, Object> crd) {
    Map<String, Object> spec = (Map<String, Object>) crd.getOrDefault("spec", Map.of());
    Map<String, Object> names = (Map<String, Object>) spec.getOrDefault("names", Map.of());
    return List.of(spec.get("group") + "/" + names.get("kind"));
  }

  /** A deep copy with the owning-inventory annotation added: what gets applied. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> withOwner(Map<String, Object> content, String inventoryId) {
    Map<String, Object> copy = (Map<String, Object>) deepCopy(content);
    Map<String, Object> metadata = (Map<String, Object>) copy.get("metadata");
    Map<String, Object> annotations = metadata.get("annotations") instanceof Map<?, ?> a
        ? (Map<String, Object>) a : new LinkedHashMap<>();
    annotations.put(Inventory.OWNER_ANNOTATION, inventoryId);
    metadata.put("annotations", annotations);
    return copy;
  }

  private static Object deepCopy(Object value) {
    if (value instanceof Map<?, ?> m) {
      Map<String, Object> copy = new LinkedHashMap<>();
      m.forEach((k, v) -> copy.put((String) k, deepCopy(v)));
      return copy;
    }
    if (value instanceof List<?> l) {
      List<Object> copy = new ArrayList<>(l.size());
      l.forEach(v -> copy.add(deepCopy(v)));
      return copy;
    }
    return value;
  }

  private static ObjectResult failure(DesiredObject o, String message) {
    return ObjectResult.failure(o.key(), o.apiVersion(), message, o.source());
  }
}
