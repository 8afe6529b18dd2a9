package dev.tether.agent.gitops;

import dev.tether.common.config.ManifestProject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Server-side apply of a plan in stages, as Flux's ApplyAllStaged: Namespaces and CRDs, then the wait
 * for the CRDs whose kinds the commit holds objects of, then everything else. Within a stage every
 * request goes out as soon as a slot is free, {@value #IN_FLIGHT} at a time: the current objects of
 * each type are read at once, compared as they arrive, and only what differs from Git is written. A
 * live object is kept only until it is compared. An object the project's watch has seen unchanged since it
 * last held what Git sets, with the same content from Git, is neither read nor written ({@link KnownUnchanged}):
 * a no-op resync of thousands of objects then lists only what changed.
 */
final class StagedApplier {
  // Enough requests in flight to keep the API server busy; its own CPU, not the client, is then the limit.
  static final int IN_FLIGHT = 32;
  private static final Duration CRD_WAIT_CAP = Duration.ofMinutes(2);

  private final KubeApi api;
  private final CrdWaiter crds;
  private final InFlightLimit limit = new InFlightLimit(IN_FLIGHT);

  StagedApplier(KubeApi api, CrdWaiter crds) {
    this.api = api;
    this.crds = crds;
  }

  /**
   * What one apply run did.
   *
   * @param results per object, in the order they were reached (written from the HTTP client's threads)
   * @param existing the objects that exist after the run: applied, found as Git has them, or refused but there
   * @param applied the objects with their types, as applied: custom resources resolved after their CRDs
   */
  record Applied(Map<ObjectKey, ObjectResult> results, Set<ObjectKey> existing, List<PlannedObject> applied) {}

  /**
   * What the watch knows: the health of an object seen unchanged (same resourceVersion) since it was last
   * compared equal to exactly this planned content, or empty when it must be read and compared.
   */
  @FunctionalInterface
  interface KnownUnchanged {
    KnownUnchanged NOTHING = p -> Optional.empty();

    Optional<Health> health(PlannedObject planned);

    /** A read found the object, at {@code resourceVersion}, holding what Git sets: it need not be read again until it changes. */
    default void compared(PlannedObject planned, String resourceVersion, Health health) {}
  }

  /** What the live object of a planned one says, reduced to what the run needs: the object itself is not kept. */
  private record Live(boolean exists, Optional<String> refusal, boolean unchanged, Health health, String resourceVersion) {
    static final Live ABSENT = new Live(false, Optional.empty(), false, Health.notFound(), null);
  }

  /**
   * Applies one wave's plan.
   *
   * @param crdOfKind "group/Kind" to the CRD that serves it, for the CRDs of earlier waves; this wave's are added
   */
  Applied apply(List<PlannedObject> plan, ManifestProject project, String inventoryId, Map<ObjectKey, ObjectResult> results,
      StopSignal stop, Map<String, ObjectKey> crdOfKind, KnownUnchanged known) {
    Set<ObjectKey> existing = ConcurrentHashMap.newKeySet();
    List<PlannedObject> first = plan.stream().filter(p -> p.resolved() && p.firstStage()).toList();
    applyStage(first, project, inventoryId, results, existing, stop, known);
    if (stop.reason() != null) {
      return new Applied(results, existing, first); // the orchestration reports the stop; nothing more is read
    }

    List<PlannedObject> unresolved = plan.stream().filter(p -> !p.resolved()).toList();
    first.stream().filter(p -> p.key().isCrd()).forEach(p -> ApplyPlanner.crdServes(p.content()).forEach(k -> crdOfKind.put(k, p.key())));
    Duration wait = project.reconcileTimeout().compareTo(CRD_WAIT_CAP) < 0 ? project.reconcileTimeout() : CRD_WAIT_CAP;
    List<PlannedObject> customResources = unresolved.isEmpty() ? List.of()
        : crds.resolve(unresolved, crdOfKind, results, project.defaultNamespace(), wait, stop);

    List<PlannedObject> rest = new ArrayList<>(plan.stream().filter(p -> p.resolved() && !p.firstStage()).toList());
    rest.addAll(customResources);
    applyStage(rest, project, inventoryId, results, existing, stop, known);
    List<PlannedObject> applied = new ArrayList<>(first);
    applied.addAll(rest);
    return new Applied(results, existing, applied);
  }

  /** Applies objects now, in one stage (the inventory's namespace, before the inventory is written). */
  void applyNow(List<PlannedObject> objects, ManifestProject project, String inventoryId, Map<ObjectKey, ObjectResult> results) {
    applyStage(objects, project, inventoryId, results, ConcurrentHashMap.newKeySet(), StopSignal.NEVER, KnownUnchanged.NOTHING);
  }

  /**
   * Whether applying the plan would write anything: an object is missing or differs from Git, or its kind is
   * not served yet. Reads as an apply run does and writes nothing; hooks run only before a sync that writes.
   */
  boolean wouldWrite(List<PlannedObject> plan, ManifestProject project, String inventoryId) {
    if (plan.stream().anyMatch(p -> !p.resolved())) {
      return true;
    }
    Map<String, List<PlannedObject>> byCollection = new LinkedHashMap<>();
    plan.forEach(p -> byCollection.computeIfAbsent(p.type().apiVersion() + "/" + p.type().plural() + "/" + p.namespace(),
        k -> new ArrayList<>()).add(p));
    List<CompletableFuture<Boolean>> reads = byCollection.values().stream().map(members -> read(members, project, inventoryId)
        .thenApply(live -> members.stream().anyMatch(p -> !live.getOrDefault(p.key(), Live.ABSENT).unchanged()))).toList();
    return reads.stream().anyMatch(KubeApi::join);
  }

  /** Every object the server can check now, checked with a server-side dry run; the refusals by object. */
  Map<ObjectKey, ObjectResult> serverDryRun(List<PlannedObject> plan, ManifestProject project) {
    Set<String> namespacesInCommit = plan.stream().filter(p -> p.key().isNamespace()).map(p -> p.key().name()).collect(Collectors.toSet());
    Map<ObjectKey, ObjectResult> refused = new ConcurrentHashMap<>();
    List<CompletableFuture<?>> calls = new ArrayList<>();
    for (PlannedObject p : plan) {
      // Objects of a CRD or in a namespace this same commit creates cannot be dry-run before those exist.
      if (!p.resolved() || (!p.namespace().isEmpty() && namespacesInCommit.contains(p.namespace()))) {
        continue;
      }
      calls.add(limit.read(() -> api.apply(p.type(), p.namespace(), p.key().name(), p.content(), project.fieldManager(),
          project.forceConflicts(), true)).handle((ok, error) -> {
            if (error != null) {
              refused.put(p.key(), p.failure("server dry run refused it: " + Reconciler.message(error)));
            }
            return null;
          }));
    }
    calls.forEach(CompletableFuture::join);
    return refused;
  }

  private void applyStage(List<PlannedObject> objects, ManifestProject project, String inventoryId,
      Map<ObjectKey, ObjectResult> results, Set<ObjectKey> existing, StopSignal stop, KnownUnchanged known) {
    Map<String, List<PlannedObject>> byCollection = new LinkedHashMap<>();
    for (PlannedObject p : objects) {
      ObjectResult earlier = results.get(p.key());
      if (earlier != null && !earlier.failed()) {
        continue; // already applied in an earlier step (the inventory's namespace)
      }
      Optional<Health> seen = known.health(p);
      if (seen.isPresent()) {
        existing.add(p.key());
        results.put(p.key(), new ObjectResult(p.key(), p.version(), Action.UNCHANGED, Health.Status.NONE, "", p.source().file())
            .withHealth(seen.get()));
        continue;
      }
      byCollection.computeIfAbsent(p.type().apiVersion() + "/" + p.type().plural() + "/" + p.namespace(), k -> new ArrayList<>()).add(p);
    }
    // Every read is sent at once; writes follow each read as it arrives, so the first ones go out early.
    Map<String, CompletableFuture<Map<ObjectKey, Live>>> reads = new LinkedHashMap<>();
    byCollection.forEach((collection, members) -> reads.put(collection, read(members, project, inventoryId)));
    List<CompletableFuture<?>> writes = new ArrayList<>();
    byCollection.forEach((collection, members) -> {
      Map<ObjectKey, Live> live;
      try {
        live = KubeApi.join(reads.get(collection));
      } catch (RuntimeException e) {
        PlannedObject one = members.get(0);
        members.forEach(p -> results.put(p.key(), p.failure("cannot read the current " + one.type().plural() + ": "
            + Reconciler.message(e))));
        return;
      }
      for (PlannedObject p : members) {
        writes.add(applyOne(p, live.getOrDefault(p.key(), Live.ABSENT), project, results, existing, stop, known));
      }
    });
    writes.forEach(CompletableFuture::join);
  }

  private CompletableFuture<?> applyOne(PlannedObject p, Live live, ManifestProject project, Map<ObjectKey, ObjectResult> results,
      Set<ObjectKey> existing, StopSignal stop, KnownUnchanged known) {
    if (live.exists()) {
      existing.add(p.key());
    }
    if (live.refusal().isPresent()) {
      results.put(p.key(), p.failure(live.refusal().get()));
      return CompletableFuture.completedFuture(null);
    }
    if (live.unchanged()) {
      known.compared(p, live.resourceVersion(), live.health());
      results.put(p.key(), new ObjectResult(p.key(), p.version(), Action.UNCHANGED, Health.Status.NONE, "", p.source().file())
          .withHealth(live.health()));
      return CompletableFuture.completedFuture(null);
    }
    Action action = live.exists() ? Action.CONFIGURED : Action.CREATED;
    // Placed now so that results keep the manifests' order; replaced when the API server answers.
    results.put(p.key(), p.failure("not applied: no answer from the API server"));
    return limit.write(stop, () -> api.apply(p.type(), p.namespace(), p.key().name(), p.content(), project.fieldManager(),
        project.forceConflicts(), false)).handle((stored, error) -> {
          if (error != null) {
            results.put(p.key(), p.failure(Reconciler.withConflictHint(Reconciler.message(error), project)));
          } else {
            existing.add(p.key());
            results.put(p.key(), new ObjectResult(p.key(), p.version(), action, Health.Status.NONE, "", p.source().file())
                .withHealth(Health.of(stored)));
          }
          return null;
        });
  }

  /**
   * The live state of a collection's planned objects. CRDs are read one by one: a cluster's CRDs can be
   * many MB, and only this commit's are of interest. Other kinds are listed, one request per collection.
   */
  private CompletableFuture<Map<ObjectKey, Live>> read(List<PlannedObject> members, ManifestProject project, String inventoryId) {
    PlannedObject one = members.get(0);
    if (one.key().isCrd()) {
      Map<ObjectKey, Live> live = new ConcurrentHashMap<>();
      List<CompletableFuture<?>> gets = members.stream().map(p -> limit.read(() -> api.get(p.type(), null, p.key().name()))
          .thenAccept(current -> current.ifPresent(c -> live.put(p.key(), live(p, c, project, inventoryId))))).collect(Collectors.toList());
      return CompletableFuture.allOf(gets.toArray(CompletableFuture[]::new)).thenApply(done -> live);
    }
    Map<String, PlannedObject> wanted = members.stream().collect(Collectors.toMap(p -> p.key().name(), p -> p));
    Map<ObjectKey, Live> live = new ConcurrentHashMap<>();
    // Each page is compared while the next is read, and dropped after: only the small Live of each object stays.
    return limit.read(() -> api.forEachPage(one.type(), one.namespace().isEmpty() ? null : one.namespace(), items -> {
      for (Map<String, Object> item : items) {
        PlannedObject p = wanted.get(name(item));
        if (p != null) {
          live.put(p.key(), live(p, item, project, inventoryId));
        }
      }
    })).thenApply(done -> Collections.unmodifiableMap(live));
  }

  private static Live live(PlannedObject p, Map<String, Object> current, ManifestProject project, String inventoryId) {
    Optional<String> refusal = OwnershipPolicy.applyRefusal(inventoryId, current, project.inventoryPolicy());
    boolean unchanged = refusal.isEmpty() && FieldComparison.firstDifference(p.content(), current, project.fieldManager()).isEmpty();
    return new Live(true, refusal, unchanged, unchanged ? Health.of(current) : Health.notFound(), resourceVersion(current));
  }

  @SuppressWarnings("unchecked")
  private static String resourceVersion(Map<String, Object> object) {
    Object version = ((Map<String, Object>) object.getOrDefault("metadata", Map.of())).get("resourceVersion");
    return version == null ? null : version.toString();
  }

  @SuppressWarnings("unchecked")
  private static String name(Map<String, Object> object) {
    return String.valueOf(((Map<String, Object>) object.getOrDefault("metadata", Map.of())).get("name"));
  }
}
