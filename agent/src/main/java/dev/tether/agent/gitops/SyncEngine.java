package dev.tether.agent.gitops;

import dev.tether.agent.gitops.ManifestParser.ManifestFile;
import dev.tether.common.config.ManifestProject;
import dev.tether.common.config.ManifestProject.DryRunStrategy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.stream.Collectors;

/**
 * Makes the cluster hold what one commit of a manifest project selects: server-side apply of every
 * object (Namespaces and CRDs first, then the rest concurrently), then prune of what left Git, in
 * reverse dependency order, with a cli-utils inventory so that nothing is lost track of. An object
 * whose live state already has every field Git sets is not written at all, so a resync of an
 * unchanged commit makes no write request.
 */
public final class SyncEngine {
  // Enough requests in flight to keep the API server busy; its own CPU, not the client, is then the limit.
  private static final int IN_FLIGHT = 32;
  private static final Duration CRD_WAIT_CAP = Duration.ofMinutes(2);
  private static final Duration POLL = Duration.ofMillis(250);
  private static final Duration SERVED_WAIT_CAP = Duration.ofSeconds(30);
  private static final Set<String> BUILT_IN_GROUPS = Set.of("", "apps", "batch", "autoscaling", "policy",
      "rbac.authorization.k8s.io", "networking.k8s.io", "storage.k8s.io", "apiextensions.k8s.io",
      "admissionregistration.k8s.io", "coordination.k8s.io", "discovery.k8s.io", "events.k8s.io", "node.k8s.io",
      "scheduling.k8s.io", "certificates.k8s.io", "flowcontrol.apiserver.k8s.io", "resource.k8s.io",
      "apiregistration.k8s.io");

  private final KubeApi api;
  private final ApiResources resources;
  private final ObjectClaims claims;
  private final Clock clock;
  private final Semaphore inFlight = new Semaphore(IN_FLIGHT);

  public SyncEngine(KubeApi api, ApiResources resources, ObjectClaims claims, Clock clock) {
    this.api = api;
    this.resources = resources;
    this.claims = claims;
    this.clock = clock;
  }

  KubeApi api() {
    return api;
  }

  /** One object to apply, with its type once known. */
  private static final class Planned {
    final DesiredObject source;
    final Map<String, Object> content;
    ResourceType type;
    ObjectKey key;

    Planned(DesiredObject source, Map<String, Object> content, ResourceType type) {
      this.source = source;
      this.content = content;
      this.type = type;
      this.key = source.key();
    }

    String namespace() {
      return key.namespace();
    }

    String version() {
      return type == null ? source.apiVersion() : type.version();
    }
  }

  /**
   * Syncs one commit.
   *
   * @param owner the manifest project's name for claims and messages
   */
  public SyncOutcome sync(String commit, List<ManifestFile> files, ManifestProject project, Inventory inventory, String owner) {
    return sync(commit, files, project, inventory, owner, StopSignal.NEVER);
  }

  /**
   * Syncs one commit, stopping before the next write once {@code stop} says so. A stopped sync leaves
   * the inventory as it recorded it before applying (a superset of what exists), so the next sync
   * converges, and prunes nothing more.
   */
  public SyncOutcome sync(String commit, List<ManifestFile> files, ManifestProject project, Inventory inventory, String owner,
      StopSignal stop) {
    Instant started = clock.instant();
    // Written from the HTTP client's threads as applies complete.
    Map<ObjectKey, ObjectResult> results = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
    ManifestParser.Parsed parsed = ManifestParser.parse(files);
    if (!parsed.ok()) {
      return failed(commit, started, inventory, "manifests cannot be read, so nothing was applied or pruned: "
          + String.join("; ", parsed.errors()), results);
    }
    Set<ObjectKey> before;
    try {
      before = inventory.load();
    } catch (RuntimeException e) {
      return failed(commit, started, inventory, "cannot read the inventory " + inventory.describe() + ": " + e.getMessage(), results);
    }
    if (parsed.objects().isEmpty() && !before.isEmpty() && !project.pruneWhenEmpty()) {
      String none = project.source() instanceof dev.tether.common.config.ManifestSource.Kustomize k
          ? "the overlay " + k.path() + " renders no objects"
          : project.source() instanceof dev.tether.common.config.ManifestSource.Helm h
              ? "the chart " + h.chart() + " renders no objects" : "the globs select no objects";
      return failed(commit, started, inventory, none + " at this commit; nothing was pruned. If every object "
          + "should go, set prune_when_empty: true for this manifest project", results);
    }
    List<Planned> plan = plan(parsed.objects(), project, inventory, owner, results);
    boolean localProblems = results.values().stream().anyMatch(ObjectResult::failed);
    if (project.dryRunStrategy() == DryRunStrategy.CLIENT && localProblems) {
      return failed(commit, started, inventory, "dry_run_strategy client: " + results.values().stream().filter(ObjectResult::failed)
          .count() + " objects failed the checks, so nothing from this commit was applied", results);
    }
    if (project.dryRunStrategy() == DryRunStrategy.SERVER) {
      Map<ObjectKey, ObjectResult> dryRun = serverDryRun(plan, project);
      if (!dryRun.isEmpty() || localProblems) {
        results.putAll(dryRun);
        return failed(commit, started, inventory, "dry_run_strategy server: " + (dryRun.size()
            + results.values().stream().filter(ObjectResult::failed).count() - dryRun.size())
            + " objects were refused, so nothing from this commit was applied", results);
      }
    }

    if (stop.reason() != null) {
      return stopped(commit, started, inventory, stop.reason(), results);
    }
    Set<ObjectKey> planned = plan.stream().map(p -> p.key).collect(Collectors.toCollection(TreeSet::new));
    Set<ObjectKey> tracked = new TreeSet<>(before);
    tracked.addAll(planned);
    Optional<String> inventoryProblem = recordBeforeApply(inventory, plan, tracked, project, results);
    if (inventoryProblem.isPresent()) {
      return failed(commit, started, inventory, inventoryProblem.get(), results);
    }
    Map<ObjectKey, Map<String, Object>> live = new ConcurrentHashMap<>();
    List<Planned> first = plan.stream().filter(p -> p.type != null && (p.key.isNamespace() || p.key.isCrd())).toList();
    apply(first, project, inventory, results, live, stop);
    awaitCrds(first, project, results, stop);
    Set<String> establishedKinds = first.stream().filter(p -> p.key.isCrd() && results.containsKey(p.key) && !results.get(p.key).failed())
        .flatMap(p -> crdServes(p.content).stream()).collect(Collectors.toSet());
    Set<String> servedKinds = new HashSet<>();
    for (Planned p : plan) {
      if (p.type == null) {
        resolveAfterCrds(p, project, results, establishedKinds.contains(groupKind(p)), servedKinds, stop);
      }
    }
    List<Planned> rest = plan.stream().filter(p -> p.type != null && !first.contains(p) && !results.containsKey(p.key)).toList();
    apply(rest, project, inventory, results, live, stop);
    if (stop.reason() != null) {
      return stopped(commit, started, inventory, stop.reason(), results);
    }

    long failures = results.values().stream().filter(ObjectResult::failed).count();
    Set<ObjectKey> candidates = new TreeSet<>(before);
    candidates.removeAll(planned);
    Set<ObjectKey> gone = new TreeSet<>();
    String message = "";
    if (!candidates.isEmpty()) {
      if (!project.prune()) {
        message = candidates.size() + " objects left Git but were not deleted (prune: false)";
      } else if (failures > 0) {
        message = "prune skipped: " + failures + " objects failed, so " + candidates.size() + " objects that left Git were kept";
      } else {
        gone.addAll(prune(candidates, project, inventory, results, stop));
      }
    }
    if (stop.reason() != null) {
      return stopped(commit, started, inventory, stop.reason(), results);
    }
    // What failed to be created does not exist; everything else that may exist stays listed.
    Set<ObjectKey> after = new TreeSet<>(tracked);
    after.removeAll(gone);
    for (Planned p : plan) {
      ObjectResult r = results.get(p.key);
      if (r != null && r.failed() && !live.containsKey(p.key) && !before.contains(p.key)) {
        after.remove(p.key);
      }
    }
    try {
      inventory.write(after);
    } catch (RuntimeException e) {
      return failed(commit, started, inventory, "cannot write the inventory " + inventory.describe() + ": " + e.getMessage(), results);
    }
    claims.releaseAllBut(owner, after);

    failures = results.values().stream().filter(ObjectResult::failed).count();
    Map<ObjectKey, SyncOutcome.Desired> desired = new LinkedHashMap<>();
    for (Planned p : plan) {
      ObjectResult r = results.get(p.key);
      // Only what this sync applied or found as Git says is watched and corrected; never an object it was refused.
      if (p.type != null && live.containsKey(p.key) && r != null && !r.failed()) {
        desired.put(p.key, new SyncOutcome.Desired(p.type, p.content, p.source.file()));
      }
    }
    if (failures > 0 && message.isEmpty()) {
      message = failures + " objects failed";
    }
    return new SyncOutcome(commit, failures > 0 ? "failed" : "synced", message, List.copyOf(results.values()), started,
        clock.instant(), inventory.describe(), desired);
  }

  /** Types, namespaces, annotations, duplicates and claims: what can be checked without writing anything. */
  private List<Planned> plan(List<DesiredObject> objects, ManifestProject project, Inventory inventory, String owner,
      Map<ObjectKey, ObjectResult> results) {
    Set<String> crdKinds = new TreeSet<>();
    for (DesiredObject o : objects) {
      if (o.key().isCrd()) {
        crdKinds.addAll(crdServes(o.content()));
      }
    }
    List<Planned> plan = new ArrayList<>();
    Map<ObjectKey, DesiredObject> seen = new HashMap<>();
    for (DesiredObject o : objects) {
      Optional<ResourceType> type = resources.find(o.apiVersion(), o.kind());
      if (type.isEmpty() && !crdKinds.contains(o.group() + "/" + o.kind())) {
        results.put(o.key(), failure(o, "kind " + o.kind() + " of " + o.apiVersion() + " is not served by the cluster "
            + "(is its CustomResourceDefinition missing?)"));
        continue;
      }
      Map<String, Object> content = withOwner(o.content(), inventory.id());
      Planned p = new Planned(o, content, type.orElse(null));
      if (p.type != null && !setNamespace(p, project, results)) {
        continue;
      }
      if (p.type == null && o.namespace().isEmpty()) {
        // Most custom resources are namespaced; the CRD, once established, says for sure.
        p.key = new ObjectKey(o.group(), o.kind(), project.defaultNamespace(), o.name());
      }
      DesiredObject other = seen.putIfAbsent(p.key, o);
      if (other != null) {
        results.put(p.key, failure(o, p.key + " is defined twice: in " + other.source() + " and in " + o.source()));
        plan.removeIf(q -> q.key.equals(p.key));
        continue;
      }
      Optional<String> holder = claims.claim(p.key, owner);
      if (holder.isPresent()) {
        results.put(p.key, failure(o, "conflict: manifest project '" + holder.get() + "' also selects " + p.key
            + "; an object must belong to one manifest project"));
        continue;
      }
      plan.add(p);
    }
    return plan;
  }

  private boolean setNamespace(Planned p, ManifestProject project, Map<ObjectKey, ObjectResult> results) {
    String namespace = p.source.namespace();
    if (p.type.namespaced() && namespace.isEmpty()) {
      namespace = project.defaultNamespace();
      metadata(p.content).put("namespace", namespace);
    } else if (!p.type.namespaced() && !namespace.isEmpty()) {
      results.put(p.key, failure(p.source, p.source.kind() + " is cluster-scoped but has namespace " + namespace));
      return false;
    }
    p.key = new ObjectKey(p.source.group(), p.source.kind(), namespace, p.source.name());
    return true;
  }

  private static String groupKind(Planned p) {
    return p.source.group() + "/" + p.source.kind();
  }

  /**
   * Finds the type of a custom resource whose CRD this sync applied. An established CRD can still be
   * missing from discovery, and its resources can answer 404, for a moment: the API server updates
   * both asynchronously. The first object of each kind waits for both (unless the CRD itself failed);
   * the kinds in {@code servedKinds} (apiVersion/kind) are known served and need no more calls.
   */
  private void resolveAfterCrds(Planned p, ManifestProject project, Map<ObjectKey, ObjectResult> results, boolean crdEstablished,
      Set<String> servedKinds, StopSignal stop) {
    ObjectKey guessed = p.key;
    String versionKind = p.source.apiVersion() + "/" + p.source.kind();
    if (servedKinds.contains(versionKind)) {
      p.type = resources.find(p.source.apiVersion(), p.source.kind()).orElseThrow();
      if (!setNamespace(p, project, results)) {
        results.put(guessed, results.remove(p.key));
      }
      return;
    }
    Duration limit = !crdEstablished ? Duration.ZERO
        : project.reconcileTimeout().compareTo(SERVED_WAIT_CAP) < 0 ? project.reconcileTimeout() : SERVED_WAIT_CAP;
    Instant deadline = clock.instant().plus(limit);
    Optional<ResourceType> type;
    while (true) {
      resources.refresh(p.source.apiVersion());
      type = resources.find(p.source.apiVersion(), p.source.kind());
      if (type.isPresent() || !clock.instant().isBefore(deadline) || stop.reason() != null) {
        break;
      }
      sleep(POLL);
    }
    if (type.isEmpty()) {
      results.put(guessed, failure(p.source, "kind " + p.source.kind() + " of " + p.source.apiVersion() + (crdEstablished
          ? " is still not served " + limit.toSeconds() + " s after its CustomResourceDefinition was established"
          : " is not served: its CustomResourceDefinition failed")));
      return;
    }
    p.type = type.get();
    if (!setNamespace(p, project, results)) {
      results.put(guessed, results.remove(p.key));
      return;
    }
    while (!api.serves(p.type, p.namespace().isEmpty() ? null : p.namespace())) {
      if (!clock.instant().isBefore(deadline) || stop.reason() != null) {
        return; // applying it will say what the API server answers
      }
      sleep(POLL);
    }
    servedKinds.add(versionKind);
  }

  /** Every object the server can check now, checked with a server-side dry run; the refusals by object. */
  private Map<ObjectKey, ObjectResult> serverDryRun(List<Planned> plan, ManifestProject project) {
    Set<String> namespacesInCommit = plan.stream().filter(p -> p.key.isNamespace()).map(p -> p.key.name()).collect(Collectors.toSet());
    Map<ObjectKey, ObjectResult> refused = new ConcurrentHashMap<>();
    List<CompletableFuture<?>> calls = new ArrayList<>();
    for (Planned p : plan) {
      // Objects of a CRD or in a namespace this same commit creates cannot be dry-run before those exist.
      if (p.type == null || (!p.namespace().isEmpty() && namespacesInCommit.contains(p.namespace()))) {
        continue;
      }
      calls.add(bounded(StopSignal.NEVER, () -> api.apply(p.type, p.namespace(), p.key.name(), p.content, project.fieldManager(),
          project.forceConflicts(), true)).handle((ok, error) -> {
            if (error != null) {
              refused.put(p.key, failure(p.source, "server dry run refused it: " + message(error)));
            }
            return null;
          }));
    }
    calls.forEach(CompletableFuture::join);
    return refused;
  }

  private Optional<String> recordBeforeApply(Inventory inventory, List<Planned> plan, Set<ObjectKey> tracked,
      ManifestProject project, Map<ObjectKey, ObjectResult> results) {
    try {
      if (!inventory.namespaceExists()) {
        Optional<Planned> namespace = plan.stream()
            .filter(p -> p.key.isNamespace() && p.key.name().equals(inventory.namespace())).findFirst();
        if (namespace.isEmpty()) {
          return Optional.of("namespace '" + inventory.namespace() + "' does not exist, and the inventory lives there "
              + "(default_namespace); create it, add it to the manifests, or set default_namespace");
        }
        apply(List.of(namespace.get()), project, inventory, results, new HashMap<>(), StopSignal.NEVER);
      }
      inventory.write(tracked);
      return Optional.empty();
    } catch (RuntimeException e) {
      return Optional.of("cannot write the inventory " + inventory.describe() + ": " + message(e));
    }
  }

  /** Applies objects concurrently; an object whose live state already matches is not written. */
  private void apply(List<Planned> objects, ManifestProject project, Inventory inventory, Map<ObjectKey, ObjectResult> results,
      Map<ObjectKey, Map<String, Object>> live, StopSignal stop) {
    Map<String, Map<String, Map<String, Object>>> snapshots = new HashMap<>();
    List<CompletableFuture<?>> calls = new ArrayList<>();
    for (Planned p : objects) {
      if (results.containsKey(p.key) && !results.get(p.key).action().equals("failed")) {
        continue; // already applied in an earlier step (the inventory's namespace)
      }
      Map<String, Map<String, Object>> snapshot;
      try {
        snapshot = snapshots.computeIfAbsent(p.type.apiVersion() + "/" + p.type.plural() + "/" + p.namespace(),
            k -> byName(api.list(p.type, p.namespace().isEmpty() ? null : p.namespace())));
      } catch (RuntimeException e) {
        results.put(p.key, failure(p.source, "cannot read the current " + p.type.plural() + ": " + message(e)));
        continue;
      }
      Map<String, Object> current = snapshot.get(p.key.name());
      Optional<String> refusal = OwnershipPolicy.applyRefusal(inventory.id(), current, project.inventoryPolicy());
      if (refusal.isPresent()) {
        results.put(p.key, new ObjectResult(p.key, p.version(), "failed", "", refusal.get(), p.source.file()));
        if (current != null) {
          live.put(p.key, current);
        }
        continue;
      }
      if (current != null && FieldComparison.firstDifference(p.content, current).isEmpty()) {
        live.put(p.key, current);
        results.put(p.key, new ObjectResult(p.key, p.version(), "unchanged", "", "", p.source.file()).withHealth(Health.of(current)));
        continue;
      }
      String action = current == null ? "created" : "configured";
      calls.add(bounded(stop, () -> api.apply(p.type, p.namespace(), p.key.name(), p.content, project.fieldManager(),
          project.forceConflicts(), false)).handle((stored, error) -> {
            if (error != null) {
              String why = withConflictHint(message(error), project);
              results.put(p.key, new ObjectResult(p.key, p.version(), "failed", "", why, p.source.file()));
              if (current != null) {
                live.put(p.key, current);
              }
            } else {
              live.put(p.key, stored);
              results.put(p.key, new ObjectResult(p.key, p.version(), action, "", "", p.source.file()).withHealth(Health.of(stored)));
            }
            return null;
          }));
    }
    calls.forEach(CompletableFuture::join);
  }

  /** Waits for the CRDs just applied to be served, so their custom resources can follow. */
  private void awaitCrds(List<Planned> applied, ManifestProject project, Map<ObjectKey, ObjectResult> results, StopSignal stop) {
    Duration limit = project.reconcileTimeout().compareTo(CRD_WAIT_CAP) < 0 ? project.reconcileTimeout() : CRD_WAIT_CAP;
    for (Planned p : applied) {
      ObjectResult r = results.get(p.key);
      if (!p.key.isCrd() || r == null || r.failed()) {
        continue;
      }
      Instant deadline = clock.instant().plus(limit);
      Health health = Health.notFound();
      while (clock.instant().isBefore(deadline) && stop.reason() == null) {
        Optional<Map<String, Object>> crd = KubeApi.join(api.get(p.type, null, p.key.name()));
        health = crd.map(Health::of).orElse(Health.notFound());
        if (health.status() != Health.Status.IN_PROGRESS && health.status() != Health.Status.NOT_FOUND) {
          break;
        }
        sleep(POLL);
      }
      results.put(p.key, r.withHealth(health));
      if (health.status() != Health.Status.CURRENT) {
        results.put(p.key, new ObjectResult(p.key, p.version(), "failed", health.statusName(),
            "not established within " + limit.toSeconds() + " s: " + health.message(), p.source.file()));
      }
    }
  }

  /** Deletes what left Git, custom resources first and namespaces last; returns what is gone. */
  private Set<ObjectKey> prune(Set<ObjectKey> candidates, ManifestProject project, Inventory inventory,
      Map<ObjectKey, ObjectResult> results, StopSignal stop) {
    Map<Integer, List<ObjectKey>> byStage = candidates.stream().collect(Collectors.groupingBy(this::pruneStage));
    Set<ObjectKey> gone = new TreeSet<>();
    String propagation = project.prunePropagationPolicy().name().charAt(0)
        + project.prunePropagationPolicy().name().substring(1).toLowerCase(Locale.ROOT);
    for (int stage = 0; stage <= 4; stage++) {
      Map<ObjectKey, ResourceType> deleting = new LinkedHashMap<>();
      for (ObjectKey key : byStage.getOrDefault(stage, List.of())) {
        if (stop.reason() != null) {
          return gone; // what is left stays listed, and the next sync that may prune does
        }
        Optional<ResourceType> type = resources.findByGroupKind(key.group(), key.kind());
        if (type.isEmpty()) {
          gone.add(key); // its kind is no longer served, so neither is the object
          continue;
        }
        Optional<Map<String, Object>> current = KubeApi.join(api.get(type.get(), key.namespace(), key.name()));
        if (current.isEmpty()) {
          gone.add(key);
          continue;
        }
        Optional<String> refusal = OwnershipPolicy.pruneRefusal(inventory.id(), current.get(), project.inventoryPolicy());
        if (refusal.isPresent() || keepOnRemove(current.get())) {
          gone.add(key); // no longer ours to track
          results.put(key, new ObjectResult(key, type.get().version(), "skipped", "",
              refusal.orElse("kept: it asks to be left alone on removal (annotation)"), ""));
          continue;
        }
        try {
          KubeApi.join(api.delete(type.get(), key.namespace(), key.name(), propagation));
          deleting.put(key, type.get());
        } catch (RuntimeException e) {
          results.put(key, new ObjectResult(key, type.get().version(), "failed", "", "cannot delete: " + message(e), ""));
        }
      }
      Instant deadline = clock.instant().plus(project.pruneTimeout());
      while (!deleting.isEmpty() && clock.instant().isBefore(deadline) && stop.reason() == null) {
        deleting.entrySet().removeIf(e -> {
          if (KubeApi.join(api.get(e.getValue(), e.getKey().namespace(), e.getKey().name())).isEmpty()) {
            gone.add(e.getKey());
            results.put(e.getKey(), new ObjectResult(e.getKey(), e.getValue().version(), "pruned", "", "", ""));
            return true;
          }
          return false;
        });
        if (!deleting.isEmpty()) {
          sleep(POLL);
        }
      }
      if (stop.reason() != null) {
        return gone; // still being deleted: listed until a later sync sees them gone
      }
      deleting.forEach((key, type) -> results.put(key, new ObjectResult(key, type.version(), "failed", "InProgress",
          "still being deleted after prune_timeout (" + project.pruneTimeout().toSeconds() + " s)", "")));
    }
    return gone;
  }

  /** Deletion order: custom resources, other namespaced objects, other cluster-scoped objects, CRDs, namespaces. */
  private int pruneStage(ObjectKey key) {
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

  @SuppressWarnings("unchecked")
  private static boolean keepOnRemove(Map<String, Object> live) {
    Map<String, Object> annotations = (Map<String, Object>) ((Map<String, Object>) live.getOrDefault("metadata", Map.of()))
        .getOrDefault("annotations", Map.of());
    return "keep".equals(annotations.get("cli-utils.sigs.k8s.io/on-remove"))
        || "detach".equals(annotations.get("client.lifecycle.config.k8s.io/deletion"));
  }

  /** An apply refused for conflicts says how to take the fields over when force_conflicts is off. */
  static String withConflictHint(String why, ManifestProject project) {
    return why.contains("conflict") && !project.forceConflicts()
        ? why + " (set force_conflicts: true to take these fields from the other field manager)" : why;
  }

  private CompletableFuture<Map<String, Object>> bounded(StopSignal stop,
      java.util.function.Supplier<CompletableFuture<Map<String, Object>>> call) {
    try {
      inFlight.acquire();
      String why = stop.reason();
      if (why != null) {
        inFlight.release();
        return CompletableFuture.failedFuture(new IllegalStateException("not applied: the sync stopped (" + why + ")"));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return CompletableFuture.failedFuture(new IllegalStateException("sync interrupted"));
    }
    try {
      return call.get().whenComplete((r, e) -> inFlight.release());
    } catch (RuntimeException e) {
      inFlight.release();
      return CompletableFuture.failedFuture(e);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Map<String, Object>> byName(List<Map<String, Object>> objects) {
    Map<String, Map<String, Object>> byName = new HashMap<>();
    for (Map<String, Object> o : objects) {
      byName.put(String.valueOf(((Map<String, Object>) o.get("metadata")).get("name")), o);
    }
    return byName;
  }

  /** The group/kind pairs a CRD manifest defines. */
  @SuppressWarnings("unchecked")
  private static Collection<String> crdServes(Map<String, Object> crd) {
    Map<String, Object> spec = (Map<String, Object>) crd.getOrDefault("spec", Map.of());
    Map<String, Object> names = (Map<String, Object>) spec.getOrDefault("names", Map.of());
    return List.of(spec.get("group") + "/" + names.get("kind"));
  }

  /** A deep copy with the owning-inventory annotation added: what gets applied. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> withOwner(Map<String, Object> content, String inventoryId) {
    Map<String, Object> copy = (Map<String, Object>) deepCopy(content);
    Map<String, Object> metadata = metadata(copy);
    Map<String, Object> annotations = metadata.get("annotations") instanceof Map<?, ?> a
        ? (Map<String, Object>) a : new LinkedHashMap<>();
    annotations.put(Inventory.OWNER_ANNOTATION, inventoryId);
    metadata.put("annotations", annotations);
    return copy;
  }

  @SuppressWarnings("unchecked")
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

  @SuppressWarnings("unchecked")
  private static Map<String, Object> metadata(Map<String, Object> content) {
    return (Map<String, Object>) content.get("metadata");
  }

  private static ObjectResult failure(DesiredObject o, String message) {
    return new ObjectResult(o.key(), o.apiVersion(), "failed", "", message, o.source());
  }

  private SyncOutcome failed(String commit, Instant started, Inventory inventory, String message, Map<ObjectKey, ObjectResult> results) {
    return new SyncOutcome(commit, "failed", message, List.copyOf(results.values()), started, clock.instant(),
        inventory.describe(), Map.of());
  }

  private SyncOutcome stopped(String commit, Instant started, Inventory inventory, String why, Map<ObjectKey, ObjectResult> results) {
    return failed(commit, started, inventory, "stopped before it finished: " + why + ". What was applied stays, the inventory "
        + "still lists it, and nothing more was pruned", results);
  }

  static String message(Throwable error) {
    Throwable t = error instanceof java.util.concurrent.CompletionException && error.getCause() != null ? error.getCause() : error;
    return t.getMessage() != null ? t.getMessage() : t.toString();
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("sync interrupted", e);
    }
  }
}
