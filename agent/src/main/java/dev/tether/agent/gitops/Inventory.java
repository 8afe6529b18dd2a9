package dev.tether.agent.gitops;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The record of what one agent applied from one manifest project, kept in the cluster in the
 * cli-utils format the GitLab agent uses: a ConfigMap labelled
 * {@code cli-utils.sigs.k8s.io/inventory-id: <id>} whose data keys are the objects
 * ({@code <namespace>_<name>_<group>_<kind>}), while each object carries the annotation
 * {@code config.k8s.io/owning-inventory: <id>}. So a cluster the GitLab agent managed can be taken
 * over by naming its inventory id, and nothing is re-created.
 */
public final class Inventory {
  public static final String LABEL = "cli-utils.sigs.k8s.io/inventory-id";
  public static final String OWNER_ANNOTATION = "config.k8s.io/owning-inventory";
  private static final ResourceType CONFIG_MAPS = new ResourceType("", "v1", "ConfigMap", "configmaps", true);

  private final String id;
  private final String namespace;
  private final String name;
  private final KubeApi api;
  private final String fieldManager;
  private Map<String, Object> stored;
  private Set<ObjectKey> objects = new TreeSet<>();

  public Inventory(String id, String namespace, KubeApi api, String fieldManager) {
    this.id = id;
    this.namespace = namespace;
    this.name = "inventory-" + id;
    this.api = api;
    this.fieldManager = fieldManager;
  }

  public String id() {
    return id;
  }

  public String describe() {
    return "ConfigMap " + namespace + "/" + name + " (inventory " + id + ")";
  }

  /** Reads the inventory from the cluster; an inventory that does not exist lists nothing. */
  @SuppressWarnings("unchecked")
  public Set<ObjectKey> load() {
    stored = KubeApi.join(api.get(CONFIG_MAPS, namespace, name)).orElse(null);
    objects = new TreeSet<>();
    if (stored != null) {
      Map<String, Object> labels = (Map<String, Object>) ((Map<String, Object>) stored.getOrDefault("metadata", Map.of()))
          .getOrDefault("labels", Map.of());
      if (!id.equals(labels.get(LABEL))) {
        throw new IllegalStateException("ConfigMap " + namespace + "/" + name + " exists but is not inventory " + id
            + " (its label " + LABEL + " is " + labels.get(LABEL) + "); rename or remove it, or set inventory_id");
      }
      for (String entry : ((Map<String, Object>) stored.getOrDefault("data", Map.of())).keySet()) {
        ObjectKey.parseInventoryEntry(entry).ifPresent(objects::add);
      }
    }
    return Set.copyOf(objects);
  }

  public Set<ObjectKey> objects() {
    return Set.copyOf(objects);
  }

  /**
   * Makes the inventory list exactly {@code keys}; writes only when that changes anything. A whole
   * replacement (not an apply) so that entries written by another tool are really removed.
   */
  @SuppressWarnings("unchecked")
  public boolean write(Set<ObjectKey> keys) {
    if (stored != null && new TreeSet<>(keys).equals(objects)) {
      return false;
    }
    Map<String, Object> data = new TreeMap<>();
    keys.forEach(k -> data.put(k.inventoryEntry(), ""));
    for (int attempt = 0; ; attempt++) {
      try {
        if (stored == null) {
          Map<String, Object> cm = new LinkedHashMap<>();
          cm.put("apiVersion", "v1");
          cm.put("kind", "ConfigMap");
          cm.put("metadata", Map.of("name", name, "namespace", namespace, "labels", Map.of(LABEL, id)));
          cm.put("data", data);
          stored = api.create(CONFIG_MAPS, namespace, cm, fieldManager);
        } else {
          Map<String, Object> updated = new LinkedHashMap<>(stored);
          updated.put("data", data);
          stored = api.replace(CONFIG_MAPS, namespace, name, updated, fieldManager);
        }
        objects = new TreeSet<>(keys);
        return true;
      } catch (KubeApiException e) {
        if (e.code() != 409 || attempt == 3) {
          throw e;
        }
        load(); // someone else wrote it meanwhile: start from the current version
      }
    }
  }

  /** Whether the inventory's namespace exists, so that it can be written. */
  public boolean namespaceExists() {
    return KubeApi.join(api.get(new ResourceType("", "v1", "Namespace", "namespaces", false), null, namespace)).isPresent();
  }

  public String namespace() {
    return namespace;
  }

  /** The owning-inventory annotation of a live object, if any. */
  @SuppressWarnings("unchecked")
  static Optional<String> ownerOf(Map<String, Object> live) {
    Map<String, Object> metadata = (Map<String, Object>) live.getOrDefault("metadata", Map.of());
    Map<String, Object> annotations = (Map<String, Object>) metadata.getOrDefault("annotations", Map.of());
    return Optional.ofNullable((String) annotations.get(OWNER_ANNOTATION));
  }
}
