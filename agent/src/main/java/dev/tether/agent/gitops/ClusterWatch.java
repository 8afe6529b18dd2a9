package dev.tether.agent.gitops;

import dev.tether.common.config.ManifestProject;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.ReducedStateItemStore;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches what a manifest project applied, one informer per type and namespace, and tells its
 * listener of every change to one of those objects: its health, and whether it still has every field
 * Git sets. The comparison runs on the informer's thread and is cheap; acting on it is the listener's.
 * The informers keep only each object's name and resourceVersion, never the object: every event
 * carries the whole object and is compared at once, and a cache of thousands of whole objects (or of
 * a few multi-MB CRDs) was most of an agent's heap after a large sync. Their lists are read in pages.
 * What an event finds as an apply would leave it is remembered ({@link UnchangedObjects}) so that a
 * resync can skip what nothing changed since; only while the watch of its type is up, and only at the
 * resourceVersion the watch holds now.
 */
final class ClusterWatch implements AutoCloseable, StagedApplier.KnownUnchanged {
  private static final Logger log = LoggerFactory.getLogger(ClusterWatch.class);
  /** Objects per page of an informer's list: as client-go's informers, so that no one answer holds them all. */
  private static final long PAGE = 500;

  /** Told of each change to a watched object; must not block. */
  interface Listener {
    void observed(ObjectKey key, Health health, boolean differsFromGit);
  }

  private final KubernetesClient client;
  private final Supplier<Map<ObjectKey, SyncOutcome.Desired>> desired;
  private final Listener listener;
  private final ManifestProject project;
  private final String inventoryId;
  private final Map<String, Informed> informers = new ConcurrentHashMap<>();
  private final UnchangedObjects unchanged = new UnchangedObjects();

  /** An informer and its store, which keeps each object's resourceVersion. */
  private record Informed(SharedIndexInformer<GenericKubernetesResource> informer, ReducedStateItemStore<GenericKubernetesResource> store) {}

  ClusterWatch(KubernetesClient client, ManifestProject project, String inventoryId, Supplier<Map<ObjectKey, SyncOutcome.Desired>> desired,
      Listener listener) {
    this.client = client;
    this.project = project;
    this.inventoryId = inventoryId;
    this.desired = desired;
    this.listener = listener;
  }

  /** Watches every type and namespace of {@code applied}, and stops watching the others. */
  void watch(Map<ObjectKey, SyncOutcome.Desired> applied) {
    Map<String, ResourceType> wanted = new HashMap<>();
    Map<String, String> namespaceOf = new HashMap<>();
    applied.forEach((key, d) -> {
      String id = id(d.type(), key.namespace());
      wanted.put(id, d.type());
      namespaceOf.put(id, key.namespace());
    });
    informers.keySet().removeIf(id -> {
      if (!wanted.containsKey(id)) {
        informers.get(id).informer().stop();
        return true;
      }
      return false;
    });
    for (Map.Entry<String, ResourceType> type : wanted.entrySet()) {
      try {
        informers.computeIfAbsent(type.getKey(), k -> inform(type.getValue(), namespaceOf.get(k)));
      } catch (RuntimeException e) {
        // The API server went away as the watch started. The sync's report and retry must still follow;
        // the next sync starts the watch again.
        log.warn("cannot watch {} for drift and health yet: {}", type.getKey(), e.toString());
      }
    }
  }

  /**
   * Unchanged when the watch of its type is up and synced, holds it at the resourceVersion an event found it
   * equal to Git at, and Git's content is the same as then. A watch down or relisting, an event not handled
   * yet, or a deleted object all mean: read it.
   */
  @Override
  public Optional<Health> health(PlannedObject planned) {
    if (!planned.resolved()) {
      return Optional.empty();
    }
    Informed informed = informers.get(id(planned.type(), planned.namespace()));
    if (informed == null || !informed.informer().isWatching() || !informed.informer().hasSynced()) {
      return Optional.empty();
    }
    String storeKey = planned.namespace().isEmpty() ? planned.key().name() : planned.namespace() + "/" + planned.key().name();
    return unchanged.unchanged(planned.key(), KubeApi.toJson(planned.content()), informed.store().getResourceVersion(storeKey));
  }

  @Override
  public void compared(PlannedObject planned, String resourceVersion, Health health) {
    if (resourceVersion != null) {
      // Checked against the watch's own resourceVersion when used: a read older than the watch's newest event is never used.
      unchanged.equal(planned.key(), resourceVersion, KubeApi.toJson(planned.content()), health);
    }
  }

  private static String id(ResourceType type, String namespace) {
    return type.apiVersion() + "/" + type.plural() + "@" + namespace;
  }

  private Informed inform(ResourceType type, String namespace) {
    ResourceDefinitionContext context = new ResourceDefinitionContext.Builder().withGroup(type.group())
        .withVersion(type.version()).withKind(type.kind()).withPlural(type.plural()).withNamespaced(type.namespaced()).build();
    var resources = client.genericKubernetesResources(context);
    var scoped = namespace.isEmpty() ? resources : resources.inNamespace(namespace);
    SharedIndexInformer<GenericKubernetesResource> informer = scoped.withLimit(PAGE).runnableInformer(0);
    ReducedStateItemStore<GenericKubernetesResource> store = new ReducedStateItemStore<>(ReducedStateItemStore.NAME_KEY_STATE,
        GenericKubernetesResource.class, client.getKubernetesSerialization());
    informer.itemStore(store);
    informer.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(GenericKubernetesResource object) {
        observed(type, object, false);
      }

      @Override
      public void onUpdate(GenericKubernetesResource old, GenericKubernetesResource object) {
        observed(type, object, false);
      }

      @Override
      public void onDelete(GenericKubernetesResource object, boolean finalStateUnknown) {
        observed(type, object, true);
      }
    });
    informer.run();
    return new Informed(informer, store);
  }

  /**
   * The type comes from the informer, not the object: an object deleted while the watch was down is
   * told from the store, which kept only its name.
   */
  @SuppressWarnings("unchecked")
  private void observed(ResourceType type, GenericKubernetesResource object, boolean deleted) {
    ObjectKey key = new ObjectKey(type.group(), type.kind(), object.getMetadata().getNamespace(), object.getMetadata().getName());
    SyncOutcome.Desired wanted = desired.get().get(key);
    if (wanted == null) {
      return;
    }
    if (deleted) {
      unchanged.forget(key);
      listener.observed(key, Health.notFound(), true);
      return;
    }
    Map<String, Object> live = client.getKubernetesSerialization().convertValue(object, Map.class);
    Map<String, Object> content = wanted.content();
    Optional<String> difference = FieldComparison.firstDifference(content, live);
    Health health = Health.of(live);
    // As the applier decides "unchanged": also no field the manager owns that Git dropped, and no other inventory's claim.
    if (difference.isEmpty() && ManagedFields.ownedButNotSet(content, live, project.fieldManager()).isEmpty()
        && OwnershipPolicy.applyRefusal(inventoryId, live, project.inventoryPolicy()).isEmpty()) {
      unchanged.equal(key, object.getMetadata().getResourceVersion(), wanted.json(), health);
    } else {
      unchanged.forget(key);
    }
    listener.observed(key, health, difference.isPresent());
  }

  @Override
  public void close() {
    informers.values().forEach(i -> i.informer().stop());
    informers.clear();
    unchanged.clear();
  }
}
