package dev.tether.agent.gitops;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What an object is to a sync, read from its annotations as Argo CD reads them: a regular object, a
 * hook of one or more phases, or an object that is never applied. Argo CD's own
 * {@code argocd.argoproj.io/hook} (PreSync, Sync, PostSync, Skip) wins; without it, Helm's
 * {@code helm.sh/hook} maps {@code pre-install}/{@code pre-upgrade} to PreSync and
 * {@code post-install}/{@code post-upgrade} to PostSync, and any other Helm hook (tests, delete and
 * rollback hooks) is not applied. The same holds for every source: the agent sees only objects.
 */
sealed interface HookRole {
  String ARGO_HOOK = "argocd.argoproj.io/hook";
  String ARGO_DELETE_POLICY = "argocd.argoproj.io/hook-delete-policy";
  String ARGO_WAVE = "argocd.argoproj.io/sync-wave";
  String HELM_HOOK = "helm.sh/hook";
  String HELM_WEIGHT = "helm.sh/hook-weight";
  String HELM_DELETE_POLICY = "helm.sh/hook-delete-policy";

  /** Applied, tracked in the inventory and pruned as always. */
  record Regular() implements HookRole {}

  /** Never applied; {@code why} says which annotation says so. */
  record Dropped(String why) implements HookRole {}

  /**
   * A hook: applied in its phases, never in the inventory, never pruned, never drift.
   *
   * @param weight orders hooks within a phase, lowest first (Helm's hook-weight, Argo CD's sync-wave)
   */
  record Hook(List<HookPhase> phases, int weight, Set<DeletePolicy> deletePolicies) implements HookRole {
    public Hook {
      phases = List.copyOf(phases);
      deletePolicies = deletePolicies.isEmpty() ? EnumSet.of(DeletePolicy.BEFORE_HOOK_CREATION) : EnumSet.copyOf(deletePolicies);
    }
  }

  /** When a hook object is deleted; {@link #BEFORE_HOOK_CREATION} when none is given, as in Argo CD. */
  enum DeletePolicy {
    /** The previous object is deleted before the hook is created again. */
    BEFORE_HOOK_CREATION,
    /** Deleted once it succeeded (is healthy). */
    HOOK_SUCCEEDED,
    /** Deleted once it failed. */
    HOOK_FAILED
  }

  static HookRole of(DesiredObject object) {
    Map<String, Object> metadata = object.metadata();
    Map<?, ?> annotations = metadata != null && metadata.get("annotations") instanceof Map<?, ?> a ? a : Map.of();
    Object argo = annotations.get(ARGO_HOOK);
    if (argo != null) {
      return argo(String.valueOf(argo), annotations);
    }
    Object helm = annotations.get(HELM_HOOK);
    return helm == null ? new Regular() : helm(String.valueOf(helm), annotations);
  }

  private static HookRole argo(String value, Map<?, ?> annotations) {
    List<HookPhase> phases = new ArrayList<>();
    for (String phase : value.split(",")) {
      switch (phase.trim()) {
        case "Skip" -> {
          return new Dropped(ARGO_HOOK + ": Skip");
        }
        case "PreSync" -> phases.add(HookPhase.PRE_SYNC);
        case "Sync" -> phases.add(HookPhase.SYNC);
        case "PostSync" -> phases.add(HookPhase.POST_SYNC);
        default -> { } // SyncFail, PostDelete and unknown phases: Tether runs none of them
      }
    }
    if (phases.isEmpty()) {
      return new Dropped(ARGO_HOOK + ": " + value + " (Tether runs PreSync, Sync and PostSync hooks only)");
    }
    return new Hook(phases, weight(annotations.get(ARGO_WAVE)), policies(annotations.get(ARGO_DELETE_POLICY)));
  }

  private static HookRole helm(String value, Map<?, ?> annotations) {
    List<HookPhase> phases = new ArrayList<>();
    for (String event : value.split(",")) {
      switch (event.trim().toLowerCase(Locale.ROOT)) {
        case "pre-install", "pre-upgrade" -> addOnce(phases, HookPhase.PRE_SYNC);
        case "post-install", "post-upgrade" -> addOnce(phases, HookPhase.POST_SYNC);
        default -> { } // test, test-success, test-failure, pre/post-delete, pre/post-rollback: as Argo CD, not run
      }
    }
    if (phases.isEmpty()) {
      return new Dropped(HELM_HOOK + ": " + value + " (as in Argo CD, only install and upgrade hooks run)");
    }
    Object weight = annotations.containsKey(ARGO_WAVE) ? annotations.get(ARGO_WAVE) : annotations.get(HELM_WEIGHT);
    Object policy = annotations.containsKey(ARGO_DELETE_POLICY) ? annotations.get(ARGO_DELETE_POLICY) : annotations.get(HELM_DELETE_POLICY);
    return new Hook(phases, weight(weight), policies(policy));
  }

  private static void addOnce(List<HookPhase> phases, HookPhase phase) {
    if (!phases.contains(phase)) {
      phases.add(phase);
    }
  }

  /** A weight that is not a whole number counts as 0, as Helm and Argo CD take it. */
  private static int weight(Object value) {
    try {
      return value == null ? 0 : Integer.parseInt(String.valueOf(value).trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** Helm's names (hook-succeeded) and Argo CD's (HookSucceeded) alike; unknown ones are ignored. */
  private static Set<DeletePolicy> policies(Object value) {
    Set<DeletePolicy> policies = EnumSet.noneOf(DeletePolicy.class);
    if (value == null) {
      return policies;
    }
    for (String policy : String.valueOf(value).split(",")) {
      switch (policy.trim().replace("-", "").toLowerCase(Locale.ROOT)) {
        case "beforehookcreation" -> policies.add(DeletePolicy.BEFORE_HOOK_CREATION);
        case "hooksucceeded" -> policies.add(DeletePolicy.HOOK_SUCCEEDED);
        case "hookfailed" -> policies.add(DeletePolicy.HOOK_FAILED);
        default -> { }
      }
    }
    return policies;
  }
}
