package dev.tether.agent.gitops;

import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the API server serves, learned by discovery and cached per group/version. A kind not found
 * is looked up again (it may come from a CRD just applied), at most once a second per group/version.
 */
public final class ApiResources {
  private final KubernetesClient client;
  private final Map<String, Map<String, ResourceType>> byGroupVersion = new ConcurrentHashMap<>();
  private final Map<String, Long> lastRefresh = new ConcurrentHashMap<>();

  public ApiResources(KubernetesClient client) {
    this.client = client;
  }

  public Optional<ResourceType> find(String apiVersion, String kind) {
    ResourceType known = byGroupVersion.computeIfAbsent(apiVersion, this::discover).get(kind);
    if (known != null) {
      return Optional.of(known);
    }
    long now = System.nanoTime();
    Long last = lastRefresh.get(apiVersion);
    if (last == null || now - last > 1_000_000_000L) {
      refresh(apiVersion);
      return Optional.ofNullable(byGroupVersion.get(apiVersion).get(kind));
    }
    return Optional.empty();
  }

  /** A kind by group alone (inventories do not record versions): the group's preferred version first. */
  public Optional<ResourceType> findByGroupKind(String group, String kind) {
    if (group.isEmpty()) {
      return find("v1", kind);
    }
    io.fabric8.kubernetes.api.model.APIGroup apiGroup;
    try {
      apiGroup = client.getApiGroup(group);
    } catch (RuntimeException e) {
      return Optional.empty();
    }
    if (apiGroup == null) {
      return Optional.empty();
    }
    if (apiGroup.getPreferredVersion() != null) {
      Optional<ResourceType> preferred = find(apiGroup.getPreferredVersion().getGroupVersion(), kind);
      if (preferred.isPresent()) {
        return preferred;
      }
    }
    return apiGroup.getVersions().stream().map(v -> find(v.getGroupVersion(), kind)).flatMap(Optional::stream).findFirst();
  }

  /** Forgets what is known of a group/version, e.g. after its CRD was applied. */
  public void refresh(String apiVersion) {
    byGroupVersion.put(apiVersion, discover(apiVersion));
  }

  private Map<String, ResourceType> discover(String apiVersion) {
    lastRefresh.put(apiVersion, System.nanoTime());
    Map<String, ResourceType> kinds = new ConcurrentHashMap<>();
    APIResourceList list;
    try {
      list = client.getApiResources(apiVersion);
    } catch (RuntimeException e) {
      return kinds; // unknown group/version: every kind in it is unknown
    }
    if (list == null) {
      return kinds;
    }
    int slash = apiVersion.indexOf('/');
    String group = slash < 0 ? "" : apiVersion.substring(0, slash);
    String version = slash < 0 ? apiVersion : apiVersion.substring(slash + 1);
    for (APIResource r : list.getResources()) {
      if (!r.getName().contains("/")) {
        kinds.put(r.getKind(), new ResourceType(group, version, r.getKind(), r.getName(), Boolean.TRUE.equals(r.getNamespaced())));
      }
    }
    return kinds;
  }
}
