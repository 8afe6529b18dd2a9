package dev.tether.agent.gitops;

import dev.tether.agent.gitops.HookRole.DeletePolicy;
import dev.tether.common.config.ManifestProject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Runs the hooks of one sync phase, as Argo CD does: by weight, lowest first, each weight's hooks applied
 * together (by kind, then name) and waited for until they are healthy (a Job: Complete) before the next
 * weight. A hook that fails, or is not healthy within the project's {@code reconcile_timeout}, ends the
 * phase, and the sync with it. Delete policies: {@code BeforeHookCreation} deletes the previous object
 * before the hook is applied again, {@code HookSucceeded} and {@code HookFailed} delete it after.
 */
final class HookRunner {
  private static final Duration POLL = Duration.ofMillis(200);
  private static final String PROPAGATION = "Background";

  /** A hook of this commit, planned: with its type and namespace. */
  record PlannedHook(PlannedObject object, HookRole.Hook role) {}

  private final KubeApi api;
  private final Clock clock;

  HookRunner(KubeApi api, Clock clock) {
    this.api = api;
    this.clock = clock;
  }

  /**
   * Runs the phase's hooks; what each did goes to {@code results}.
   *
   * @return why the phase failed, naming the hook; empty when every hook succeeded
   */
  Optional<String> run(HookPhase phase, List<PlannedHook> hooks, ManifestProject project, Map<ObjectKey, ObjectResult> results,
      StopSignal stop) {
    TreeMap<Integer, List<PlannedHook>> byWeight = new TreeMap<>();
    hooks.stream().filter(h -> h.role().phases().contains(phase))
        .sorted(Comparator.comparing((PlannedHook h) -> h.object().key().kind()).thenComparing(h -> h.object().key().name()))
        .forEach(h -> byWeight.computeIfAbsent(h.role().weight(), w -> new ArrayList<>()).add(h));
    for (List<PlannedHook> wave : byWeight.values()) {
      for (PlannedHook hook : wave) {
        if (stop.reason() != null) {
          return Optional.of("stopped before the " + phase.argoName() + " hook " + hook.object().key() + ": " + stop.reason());
        }
        Optional<String> failure = apply(phase, hook, project, results);
        if (failure.isPresent()) {
          return failure;
        }
      }
      for (PlannedHook hook : wave) {
        Optional<String> failure = await(phase, hook, project, results, stop);
        if (failure.isPresent()) {
          return failure;
        }
      }
    }
    return Optional.empty();
  }

  private Optional<String> apply(HookPhase phase, PlannedHook hook, ManifestProject project, Map<ObjectKey, ObjectResult> results) {
    PlannedObject p = hook.object();
    String what = phase.argoName() + " hook " + p.key();
    if (!p.resolved()) {
      results.put(p.key(), p.failure("kind " + p.source().kind() + " of " + p.source().apiVersion() + " is not served").asHook(phase));
      return Optional.of(what + " cannot be applied: its kind is not served by the cluster");
    }
    try {
      boolean existed = KubeApi.join(api.getMetadata(p.type(), p.namespace(), p.key().name())).isPresent();
      if (existed && hook.role().deletePolicies().contains(DeletePolicy.BEFORE_HOOK_CREATION)) {
        KubeApi.join(api.delete(p.type(), p.namespace(), p.key().name(), PROPAGATION));
        awaitGone(p, project.reconcileTimeout());
        existed = false;
      }
      Map<String, Object> stored = KubeApi.join(api.apply(p.type(), p.namespace(), p.key().name(), p.content(), project.fieldManager(),
          project.forceConflicts(), false));
      results.put(p.key(), new ObjectResult(p.key(), p.version(), existed ? Action.CONFIGURED : Action.CREATED, Health.Status.NONE, "",
          p.source().file(), phase).withHealth(Health.of(stored)));
      return Optional.empty();
    } catch (RuntimeException e) {
      String why = Reconciler.withConflictHint(Reconciler.message(e), project);
      results.put(p.key(), p.failure(why).asHook(phase));
      return Optional.of(what + " could not be applied: " + why);
    }
  }

  private Optional<String> await(HookPhase phase, PlannedHook hook, ManifestProject project, Map<ObjectKey, ObjectResult> results,
      StopSignal stop) {
    PlannedObject p = hook.object();
    String what = phase.argoName() + " hook " + p.key();
    Instant deadline = clock.instant().plus(project.reconcileTimeout());
    Health health = Health.notFound();
    try {
      while (true) {
        Optional<Map<String, Object>> live = KubeApi.join(api.get(p.type(), p.namespace(), p.key().name()));
        health = live.map(Health::of).orElse(Health.notFound());
        if (health.status() == Health.Status.CURRENT || health.status() == Health.Status.FAILED || live.isEmpty()) {
          break;
        }
        if (!clock.instant().isBefore(deadline) || stop.reason() != null) {
          break;
        }
        sleep();
      }
    } catch (RuntimeException e) {
      results.computeIfPresent(p.key(), (k, r) -> r.withHealth(new Health(Health.Status.UNKNOWN, Reconciler.message(e))));
      return Optional.of(what + ": cannot read it: " + Reconciler.message(e));
    }
    Health seen = health;
    results.computeIfPresent(p.key(), (k, r) -> r.withHealth(seen));
    if (health.status() == Health.Status.CURRENT) {
      deleteIf(hook, DeletePolicy.HOOK_SUCCEEDED, results);
      return Optional.empty();
    }
    if (health.status() == Health.Status.FAILED) {
      deleteIf(hook, DeletePolicy.HOOK_FAILED, results);
      return Optional.of(what + " failed: " + health.message());
    }
    if (health.status() == Health.Status.NOT_FOUND) {
      return Optional.of(what + " was deleted before it succeeded");
    }
    if (stop.reason() != null) {
      return Optional.of(what + " was not waited for: " + stop.reason());
    }
    return Optional.of(what + " did not succeed within " + project.reconcileTimeout().toSeconds() + " s (reconcile_timeout): "
        + health.message());
  }

  /**
   * Waits until every object is healthy, as PostSync hooks wait in Argo CD; the objects' results get the
   * health seen last.
   *
   * @return which object is not healthy, and how, when one failed or the time limit passed
   */
  Optional<String> awaitHealthy(List<PlannedObject> objects, ManifestProject project, Map<ObjectKey, ObjectResult> results,
      StopSignal stop) {
    Instant deadline = clock.instant().plus(project.reconcileTimeout());
    for (PlannedObject p : objects) {
      ObjectResult known = results.get(p.key());
      if (known != null && known.health() == Health.Status.CURRENT) {
        continue;
      }
      Health health;
      try {
        while (true) {
          health = KubeApi.join(api.get(p.type(), p.namespace(), p.key().name())).map(Health::of).orElse(Health.notFound());
          if (health.status() == Health.Status.CURRENT || health.status() == Health.Status.FAILED
              || !clock.instant().isBefore(deadline) || stop.reason() != null) {
            break;
          }
          sleep();
        }
      } catch (RuntimeException e) {
        return Optional.of("cannot read " + p.key() + " to see whether it is healthy: " + Reconciler.message(e));
      }
      Health seen = health;
      results.computeIfPresent(p.key(), (k, r) -> r.withHealth(seen));
      if (health.status() != Health.Status.CURRENT) {
        return Optional.of(p.key() + " is not healthy (" + health.statusName() + (health.message().isEmpty() ? "" : ": " + health.message())
            + (stop.reason() != null ? "; the sync stopped: " + stop.reason() : health.status() == Health.Status.FAILED ? ""
                : " after " + project.reconcileTimeout().toSeconds() + " s, the reconcile_timeout") + ")");
      }
    }
    return Optional.empty();
  }

  /** Deletes the hook when its policy says so; its result says it was deleted, and why. */
  private void deleteIf(PlannedHook hook, DeletePolicy policy, Map<ObjectKey, ObjectResult> results) {
    if (hook.role().deletePolicies().contains(policy)) {
      PlannedObject p = hook.object();
      String name = policy == DeletePolicy.HOOK_SUCCEEDED ? "HookSucceeded" : "HookFailed";
      String why;
      try {
        KubeApi.join(api.delete(p.type(), p.namespace(), p.key().name(), PROPAGATION));
        why = policy == DeletePolicy.HOOK_SUCCEEDED ? "deleted once it succeeded (" + name + ")" : "deleted as it failed (" + name + ")";
      } catch (RuntimeException e) {
        // The hook did its work; a delete that failed leaves it in place, which the next BeforeHookCreation clears.
        why = "not deleted (" + name + "): " + Reconciler.message(e);
      }
      String said = why;
      results.computeIfPresent(p.key(), (k, r) -> new ObjectResult(r.key(), r.version(), r.action(), r.health(),
          r.message().isEmpty() ? said : r.message() + "; " + said, r.file(), r.hook()));
    }
  }

  /** A deleted hook may linger while finalizers run; it is created again only once it is gone. */
  private void awaitGone(PlannedObject p, Duration limit) {
    Instant deadline = clock.instant().plus(limit);
    while (KubeApi.join(api.getMetadata(p.type(), p.namespace(), p.key().name())).isPresent()) {
      if (!clock.instant().isBefore(deadline)) {
        throw new IllegalStateException("the previous " + p.key() + " (delete policy BeforeHookCreation) is still there "
            + limit.toSeconds() + " s after it was deleted; see its finalizers");
      }
      sleep();
    }
  }

  static void sleep() {
    try {
      Thread.sleep(POLL.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("sync interrupted", e);
    }
  }
}
