package dev.tether.agent.gitops;

import dev.tether.common.config.ManifestProject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Deletes what left Git in reverse sync wave order ({@link SyncWave}, read from the live object's
 * annotations, since Git no longer has it), the highest wave first, as Argo CD prunes; within a wave
 * in reverse dependency order (custom resources, other namespaced objects, other cluster-scoped
 * objects, CRDs, namespaces), each stage waited for before the next. Reads metadata only: ownership,
 * wave and "gone" need nothing else, and a CRD can be several MB.
 */
final class Pruner {
  private static final Duration POLL = Duration.ofMillis(250);
  private static final Set<String> BUILT_IN_GROUPS = Set.of("", "apps", "batch", "autoscaling", "policy",
      "rbac.authorization.k8s.io", "networking.k8s.io", "storage.k8s.io", "apiextensions.k8s.io",
      "admissionregistration.k8s.io", "coordination.k8s.io", "discovery.k8s.io", "events.k8s.io", "node.k8s.io",
      "scheduling.k8s.io", "certificates.k8s.io", "flowcontrol.apiserver.k8s.io", "resource.k8s.io",
      "apiregistration.k8s.io");

  private final KubeApi api;
  private final ApiResources resources;
  private final Clock clock;

  Pruner(KubeApi api, ApiResources resources, Clock clock) {
    this.api = api;
    this.resources = resources;
    this.clock = clock;
  }

  /** The order of deletion: stages, each sorted; what is in a later stage may hold what is in an earlier one. */
  static List<List<ObjectKey>> order(Collection<ObjectKey> candidates) {
    List<List<ObjectKey>> stages = new ArrayList<>();
    for (int stage = 0; stage <= 4; stage++) {
      int s = stage;
      List<ObjectKey> keys = candidates.stream().filter(k -> stage(k) == s).sorted().toList();
      if (!keys.isEmpty()) {
        stages.add(keys);
      }
    }
    return stages;
  }

  private static int stage(ObjectKey key) {
    if (key.isNamespace()) {
      return 4;
    }
    if (key.isCrd()) {
      return 3;
    }
    if (!BUILT_IN_GROUPS.contains(key.group())) {
      return 0;
    }
    return key.namespace().isEmpty() ? 2 : 1;
  }

  /** Deletes {@code candidates}; returns what is gone (or no longer ours to track). Results go to {@code results}. */
  Set<ObjectKey> prune(Set<ObjectKey> candidates, ManifestProject project, String inventoryId, Map<ObjectKey, ObjectResult> results,
      StopSignal stop) {
    Set<ObjectKey> gone = new TreeSet<>();
    // Each candidate's live metadata, read once: its wave orders the deletes, its annotations say whether it may go.
    Map<ObjectKey, Live> live = new LinkedHashMap<>();
    for (ObjectKey key : candidates) {
      if (stop.reason() != null) {
        return gone; // what is left stays listed, and the next sync that may prune does
      }
      Optional<ResourceType> type = resources.findByGroupKind(key.group(), key.kind());
      if (type.isEmpty()) {
        gone.add(key); // its kind is no longer served, so neither is the object
        continue;
      }
      Optional<Map<String, Object>> current = KubeApi.join(api.getMetadata(type.get(), key.namespace(), key.name()));
      if (current.isEmpty()) {
        gone.add(key);
        continue;
      }
      live.put(key, new Live(type.get(), current.get()));
    }
    List<Map.Entry<Integer, List<ObjectKey>>> waves = new ArrayList<>(
        SyncWave.byWave(live.keySet(), key -> live.get(key).object()).descendingMap().entrySet());
    for (Map.Entry<Integer, List<ObjectKey>> wave : waves) {
      for (List<ObjectKey> stage : order(wave.getValue())) {
        if (!pruneStage(stage, live, project, inventoryId, results, stop, gone)) {
          return gone;
        }
      }
    }
    return gone;
  }

  /** An object to prune as it was read: its type, and the object with its metadata only. */
  private record Live(ResourceType type, Map<String, Object> object) {}

  /** Deletes one stage and waits until it is gone; false when the sync stopped meanwhile. */
  private boolean pruneStage(List<ObjectKey> stage, Map<ObjectKey, Live> live, ManifestProject project, String inventoryId,
      Map<ObjectKey, ObjectResult> results, StopSignal stop, Set<ObjectKey> gone) {
    String propagation = project.prunePropagationPolicy().name().charAt(0)
        + project.prunePropagationPolicy().name().substring(1).toLowerCase(Locale.ROOT);
    Map<ObjectKey, ResourceType> deleting = new LinkedHashMap<>();
    for (ObjectKey key : stage) {
      if (stop.reason() != null) {
        return false; // what is left stays listed, and the next sync that may prune does
      }
      ResourceType type = live.get(key).type();
      Map<String, Object> current = live.get(key).object();
      Optional<String> refusal = OwnershipPolicy.pruneRefusal(inventoryId, current, project.inventoryPolicy());
      if (refusal.isPresent() || keepOnRemove(current)) {
        gone.add(key); // no longer ours to track
        results.put(key, new ObjectResult(key, type.version(), Action.SKIPPED, Health.Status.NONE,
            refusal.orElse("kept: it asks to be left alone on removal (annotation)"), ""));
        continue;
      }
      try {
        KubeApi.join(api.delete(type, key.namespace(), key.name(), propagation));
        deleting.put(key, type);
      } catch (RuntimeException e) {
        results.put(key, ObjectResult.failure(key, type.version(), "cannot delete: " + Reconciler.message(e), ""));
      }
    }
    Instant deadline = clock.instant().plus(project.pruneTimeout());
    while (!deleting.isEmpty() && clock.instant().isBefore(deadline) && stop.reason() == null) {
      deleting.entrySet().removeIf(e -> {
        if (KubeApi.join(api.getMetadata(e.getValue(), e.getKey().namespace(), e.getKey().name())).isEmpty()) {
          gone.add(e.getKey());
          results.put(e.getKey(), new ObjectResult(e.getKey(), e.getValue().version(), Action.PRUNED, Health.Status.NONE, "", ""));
          return true;
        }
        return false;
      });
      if (!deleting.isEmpty()) {
        sleep();
      }
    }
    if (stop.reason() != null) {
      return false; // still being deleted: listed until a later sync sees them gone
    }
    deleting.forEach((key, type) -> results.put(key, new ObjectResult(key, type.version(), Action.FAILED, Health.Status.IN_PROGRESS,
        "still being deleted after prune_timeout (" + project.pruneTimeout().toSeconds() + " s)", "")));
    return true;
  }

  @SuppressWarnings("unchecked")
  private static boolean keepOnRemove(Map<String, Object> live) {
    Map<String, Object> annotations = (Map<String, Object>) ((Map<String, Object>) live.getOrDefault("metadata", Map.of()))
        .getOrDefault("annotations", Map.of());
    return "keep".equals(annotations.get("cli-utils.sigs.k8s.io/on-remove"))
        || "detach".equals(annotations.get("client.lifecycle.config.k8s.io/deletion"));
  }

  private static void sleep() {
    try {
      Thread.sleep(POLL.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("sync interrupted", e);
    }
  }
}
