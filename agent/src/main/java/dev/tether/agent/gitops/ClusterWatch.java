package dev.tether.agent.gitops;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
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
 */
final class ClusterWatch implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ClusterWatch.class);

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
    return scoped.inform(new ResourceEventHandler<>() {
      @Override
      public void onAdd(GenericKubernetesResource object) {
        observed(object, false);
      }

      @Override
      public void onUpdate(GenericKubernetesResource old, GenericKubernetesResource object) {
        observed(object, false);
      }

      @Override
      public void onDelete(GenericKubernetesResource object, boolean finalStateUnknown) {
        observed(object, true);
      }
    });
  }

  @SuppressWarnings("unchecked")
  private void observed(GenericKubernetesResource object, boolean deleted) {
    String apiVersion = object.getApiVersion();
    String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
    ObjectKey key = new ObjectKey(group, object.getKind(), object.getMetadata().getNamespace(), object.getMetadata().getName());
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
