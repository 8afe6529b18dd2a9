package dev.tether.agent.gitops;

import dev.tether.common.config.ManifestProject;
import dev.tether.common.config.ManifestProject.DryRunStrategy;
import java.time.Clock;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionException;
import java.util.stream.Collectors;

/**
 * Makes the cluster hold what one commit of a manifest project selects: plans, applies in stages,
 * prunes what left Git, and keeps a cli-utils inventory so that nothing is lost track of. The policy
 * lives here (prune and prune_when_empty, dry_run_strategy, ownership claims, when to stop); the
 * verbs live in {@link ApplyPlanner}, {@link StagedApplier}, {@link CrdWaiter} and {@link Pruner}.
 * An object whose live state already has every field Git sets is not written, so a resync of an
 * unchanged commit makes no write request. Hooks ({@link HookRole}) run in phases around the apply
 * ({@link HookRunner}), only when the sync writes something, and stay out of the inventory.
 */
public final class Reconciler {
  private final KubeApi api;
  private final ObjectClaims claims;
  private final Clock clock;
  private final ApplyPlanner planner;
  private final StagedApplier applier;
  private final Pruner pruner;
  private final HookRunner hooks;
  private final WaveApplier waves;

  public Reconciler(KubeApi api, ApiResources resources, ObjectClaims claims, Clock clock) {
    this.api = api;
    this.claims = claims;
    this.clock = clock;
    this.planner = new ApplyPlanner(resources::find, claims);
    this.applier = new StagedApplier(api, new CrdWaiter(resources, api, clock));
    this.pruner = new Pruner(api, resources, clock);
    this.hooks = new HookRunner(api, clock);
    this.waves = new WaveApplier(applier, hooks);
  }

  KubeApi api() {
    return api;
  }

  /**
   * Reconciles one commit, stopping before the next write once {@code stop} says so. A stopped run leaves
   * the inventory as it recorded it before applying (a superset of what exists), so the next run
   * converges, and prunes nothing more.
   *
   * @param parsed the commit's objects as its files were parsed (parsed anew for each call: the plan changes them)
   * @param owner the manifest project's name for claims and messages
   * @param progress told when each sync wave starts, when the commit has more than one
   * @param known the objects a watch has seen unchanged since they last held what Git sets: not read again
   */
  public SyncOutcome reconcile(String commit, ManifestParser.Parsed parsed, ManifestProject project, Inventory inventory, String owner,
      StopSignal stop, WaveApplier.Progress progress, StagedApplier.KnownUnchanged known) {
    Run run = new Run(commit, inventory, clock.instant());
    if (!parsed.ok()) {
      return run.failed("manifests cannot be read, so nothing was applied or pruned: " + String.join("; ", parsed.errors()));
    }
    Set<ObjectKey> before;
    try {
      before = inventory.load();
    } catch (RuntimeException e) {
      return run.failed("cannot read the inventory " + inventory.describe() + ": " + e.getMessage());
    }
    SyncObjects objects = SyncObjects.split(parsed.objects(), run.results);
    if (objects.regular().isEmpty() && !before.isEmpty() && !project.pruneWhenEmpty()) {
      String none = project.source() instanceof dev.tether.common.config.ManifestSource.Kustomize k
          ? "the overlay " + k.path() + " renders no objects"
          : project.source() instanceof dev.tether.common.config.ManifestSource.Helm h
              ? "the chart " + h.chart() + " renders no objects" : "the globs select no objects";
      return run.failed(none + " at this commit; nothing was pruned. If every object "
          + "should go, set prune_when_empty: true for this manifest project");
    }
    ApplyPlanner.Plan plan = planner.plan(objects.regular(), project.defaultNamespace(), inventory.id(), owner);
    plan.refused().forEach(r -> run.results.put(r.key(), r));
    ApplyPlanner.Plan hookPlan = planner.plan(objects.hookObjects(), project.defaultNamespace(), inventory.id(), owner);
    hookPlan.refused().forEach(r -> run.results.put(r.key(), r));
    List<HookRunner.PlannedHook> plannedHooks = objects.planned(hookPlan.objects());
    Set<ObjectKey> hookKeys = plannedHooks.stream().map(h -> h.object().key()).collect(Collectors.toCollection(TreeSet::new));
    long refusedLocally = plan.refused().size() + hookPlan.refused().size();
    if (project.dryRunStrategy() == DryRunStrategy.CLIENT && refusedLocally > 0) {
      return run.failed("dry_run_strategy client: " + refusedLocally + " objects failed the checks, so nothing from this commit was applied");
    }
    if (project.dryRunStrategy() == DryRunStrategy.SERVER) {
      Map<ObjectKey, ObjectResult> dryRun = applier.serverDryRun(plan.objects(), project);
      if (!dryRun.isEmpty() || refusedLocally > 0) {
        run.results.putAll(dryRun);
        return run.failed("dry_run_strategy server: " + (dryRun.size() + refusedLocally)
            + " objects were refused, so nothing from this commit was applied");
      }
    }

    if (stop.reason() != null) {
      return run.stopped(stop.reason());
    }
    Set<ObjectKey> planned = plan.objects().stream().map(PlannedObject::key).collect(Collectors.toCollection(TreeSet::new));
    Set<ObjectKey> tracked = new TreeSet<>(before);
    tracked.addAll(planned);
    tracked.removeAll(hookKeys);
    boolean runHooks = !plannedHooks.isEmpty() && (applier.wouldWrite(plan.objects(), project, inventory.id())
        || (project.prune() && !tracked.equals(planned)));
    Optional<String> inventoryProblem = recordBeforeApply(inventory, plan.objects(), tracked, project, run.results);
    if (inventoryProblem.isPresent()) {
      return run.failed(inventoryProblem.get());
    }
    if (runHooks) {
      Optional<String> preSync = hooks.run(HookPhase.PRE_SYNC, plannedHooks, project, run.results, stop);
      if (preSync.isPresent()) {
        return run.failed(preSync.get() + "; nothing else was applied or pruned");
      }
    }
    WaveApplier.Result waved = waves.apply(plan.objects(), project, inventory.id(), run.results, stop, progress, known);
    StagedApplier.Applied applied = waved.applied();
    if (stop.reason() != null) {
      return run.stopped(stop.reason());
    }
    // A wave that failed or did not become healthy ends the sync as a failed Sync hook does: no prune, no PostSync.
    Optional<String> hookFailure = waved.failure();
    if (runHooks && run.failures() == 0 && hookFailure.isEmpty()) {
      hookFailure = hooks.run(HookPhase.SYNC, plannedHooks, project, run.results, stop);
    }

    long failures = run.failures();
    Set<ObjectKey> candidates = new TreeSet<>(before);
    candidates.removeAll(planned);
    candidates.removeAll(hookKeys); // a hook is never pruned, also when it was a regular object before
    Set<ObjectKey> gone = new TreeSet<>();
    String message = "";
    if (!candidates.isEmpty()) {
      if (!project.prune()) {
        message = candidates.size() + " objects left Git but were not deleted (prune: false)";
      } else if (failures > 0 || hookFailure.isPresent()) {
        message = "prune skipped: " + (failures > 0 ? failures + " objects failed"
            : waved.failure().isPresent() ? "a wave did not finish" : "a Sync hook failed") + ", so " + candidates.size()
            + " objects that left Git were kept";
      } else {
        gone.addAll(pruner.prune(candidates, project, inventory.id(), run.results, stop));
      }
    }
    if (stop.reason() != null) {
      return run.stopped(stop.reason());
    }
    // What failed to be created does not exist; everything else that may exist stays listed.
    Set<ObjectKey> after = new TreeSet<>(tracked);
    after.removeAll(gone);
    after.removeAll(hookKeys);
    for (ObjectKey key : planned) {
      ObjectResult r = run.results.get(key);
      if (r != null && r.failed() && !applied.existing().contains(key) && !before.contains(key)) {
        after.remove(key);
      }
    }
    try {
      inventory.write(after);
    } catch (RuntimeException e) {
      return run.failed("cannot write the inventory " + inventory.describe() + ": " + e.getMessage());
    }
    claims.releaseAllBut(owner, after);

    failures = run.failures();
    boolean postSync = plannedHooks.stream().anyMatch(h -> h.role().phases().contains(HookPhase.POST_SYNC));
    if (runHooks && postSync && failures == 0 && hookFailure.isEmpty()) {
      List<PlannedObject> existing = applied.applied().stream().filter(p -> applied.existing().contains(p.key())).toList();
      hookFailure = hooks.awaitHealthy(existing, project, run.results, stop).map(why -> "PostSync hooks not run: " + why);
      if (hookFailure.isEmpty()) {
        hookFailure = hooks.run(HookPhase.POST_SYNC, plannedHooks, project, run.results, stop);
      }
    }
    Map<ObjectKey, SyncOutcome.Desired> desired = new LinkedHashMap<>();
    for (PlannedObject p : applied.applied()) {
      ObjectResult r = run.results.get(p.key());
      // Only what this run applied or found as Git says is watched and corrected; never an object it was refused.
      if (applied.existing().contains(p.key()) && r != null && !r.failed()) {
        desired.put(p.key(), SyncOutcome.Desired.of(p.type(), p.content(), p.source().file()));
      }
    }
    if (failures > 0 && message.isEmpty()) {
      // The first failure's reason, so that the status answers "why" without opening every object.
      message = failures + " objects failed" + firstFailure(run.results).map(r -> "; the first: " + r.key() + ": " + r.message()).orElse("");
    }
    if (hookFailure.isPresent()) {
      message = hookFailure.get() + (message.isEmpty() ? "" : "; " + message);
    }
    return new SyncOutcome(commit, failures > 0 || hookFailure.isPresent() ? Phase.FAILED : Phase.SYNCED, message, run.changes(), run.started, clock.instant(),
        inventory.describe(), desired);
  }

  private static Optional<ObjectResult> firstFailure(Map<ObjectKey, ObjectResult> results) {
    synchronized (results) {
      return results.values().stream().filter(ObjectResult::failed).findFirst();
    }
  }

  /** The inventory lists every object before any is applied, so that an interrupted run loses track of none. */
  private Optional<String> recordBeforeApply(Inventory inventory, List<PlannedObject> plan, Set<ObjectKey> tracked,
      ManifestProject project, Map<ObjectKey, ObjectResult> results) {
    try {
      if (!inventory.namespaceExists()) {
        Optional<PlannedObject> namespace = plan.stream()
            .filter(p -> p.key().isNamespace() && p.key().name().equals(inventory.namespace())).findFirst();
        if (namespace.isEmpty()) {
          return Optional.of("namespace '" + inventory.namespace() + "' does not exist, and the inventory lives there "
              + "(default_namespace); create it, add it to the manifests, or set default_namespace");
        }
        applier.applyNow(List.of(namespace.get()), project, inventory.id(), results);
      }
      inventory.write(tracked);
      return Optional.empty();
    } catch (RuntimeException e) {
      return Optional.of("cannot write the inventory " + inventory.describe() + ": " + message(e));
    }
  }

  /** The state of one run: its results in the order objects were reached, written from the HTTP client's threads. */
  private final class Run {
    final String commit;
    final Inventory inventory;
    final Instant started;
    final Map<ObjectKey, ObjectResult> results = Collections.synchronizedMap(new LinkedHashMap<>());

    Run(String commit, Inventory inventory, Instant started) {
      this.commit = commit;
      this.inventory = inventory;
      this.started = started;
    }

    ChangeSet changes() {
      synchronized (results) {
        return new ChangeSet(List.copyOf(results.values()));
      }
    }

    long failures() {
      return changes().failures();
    }

    SyncOutcome failed(String message) {
      return SyncOutcome.failed(commit, message, changes(), started, clock.instant(), inventory.describe(), Map.of());
    }

    SyncOutcome stopped(String why) {
      return failed("stopped before it finished: " + why + ". What was applied stays, the inventory "
          + "still lists it, and nothing more was pruned");
    }
  }

  /** An apply refused for conflicts says how to take the fields over when force_conflicts is off. */
  static String withConflictHint(String why, ManifestProject project) {
    return why.contains("conflict") && !project.forceConflicts()
        ? why + " (set force_conflicts: true to take these fields from the other field manager)" : why;
  }

  static String message(Throwable error) {
    Throwable t = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    return t.getMessage() != null ? t.getMessage() : t.toString();
  }
}
