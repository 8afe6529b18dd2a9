package dev.tether.agent.gitops;

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
 */
final class ClusterWatch implements AutoCloseable {
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
  private final Map<String, SharedIndexInformer<GenericKubernetesResource>> informers = new ConcurrentHashMap<>();

  ClusterWatch(KubernetesClient client, Supplier<Map<ObjectKey, SyncOutcome.Desired>> desired, Listener listener) {
    this.client = client;
    this.desired = desired;
    this.listener = listener;
  }

  /** Watches every type and namespace of {@code applied}, and stops watching the others. */
  void watch(Map<ObjectKey, SyncOutcome.Desired> applied) {
    Map<String, ResourceType> wanted = new HashMap<>();
    Map<String, String> namespaceOf = new HashMap<>();
    applied.forEach((key, d) -> {
      String id = d.type().apiVersion() + "/" + d.type().plural() + "@" + key.namespace();
      wanted.put(id, d.type());
      namespaceOf.put(id, key.namespace());
    });
    informers.keySet().removeIf(id -> {
      if (!wanted.containsKey(id)) {
        informers.get(id).stop();
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

  private SharedIndexInformer<GenericKubernetesResource> inform(ResourceType type, String namespace) {
    ResourceDefinitionContext context = new ResourceDefinitionContext.Builder().withGroup(type.group())
        .withVersion(type.version()).withKind(type.kind()).withPlural(type.plural()).withNamespaced(type.namespaced()).build();
    var resources = client.genericKubernetesResources(context);
    var scoped = namespace.isEmpty() ? resources : resources.inNamespace(namespace);
    SharedIndexInformer<GenericKubernetesResource> informer = scoped.withLimit(PAGE).runnableInformer(0);
    informer.itemStore(new ReducedStateItemStore<>(ReducedStateItemStore.NAME_KEY_STATE, GenericKubernetesResource.class,
        client.getKubernetesSerialization()));
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
    return informer;
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
      listener.observed(key, Health.notFound(), true);
      return;
    }
    Map<String, Object> live = client.getKubernetesSerialization().convertValue(object, Map.class);
    Optional<String> difference = FieldComparison.firstDifference(wanted.content(), live);
    listener.observed(key, Health.of(live), difference.isPresent());
  }

  @Override
  public void close() {
    informers.values().forEach(SharedIndexInformer::stop);
    informers.clear();
  }
}
