package dev.tether.agent.gitops;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A commit's objects by their role in a sync ({@link HookRole}): regular objects, hooks, and objects
 * never applied, which go to the change set at once as skipped, with the annotation that says so.
 */
record SyncObjects(List<DesiredObject> regular, List<DesiredObject> hookObjects, Map<DesiredObject, HookRole.Hook> roles) {

  static SyncObjects split(List<DesiredObject> objects, Map<ObjectKey, ObjectResult> results) {
    List<DesiredObject> regular = new ArrayList<>();
    List<DesiredObject> hooks = new ArrayList<>();
    Map<DesiredObject, HookRole.Hook> roles = new IdentityHashMap<>();
    for (DesiredObject o : objects) {
      HookRole role = HookRole.of(o);
      if (role instanceof HookRole.Hook hook) {
        hooks.add(o);
        roles.put(o, hook);
      } else if (role instanceof HookRole.Dropped dropped) {
        results.put(o.key(), new ObjectResult(o.key(), o.apiVersion(), Action.SKIPPED, Health.Status.NONE,
            "not applied: " + dropped.why(), o.source()));
      } else {
        regular.add(o);
      }
    }
    return new SyncObjects(List.copyOf(regular), List.copyOf(hooks), roles);
  }

  /** The planned hooks with their roles; a hook the planner refused is not among them. */
  List<HookRunner.PlannedHook> planned(List<PlannedObject> planned) {
    return planned.stream().map(p -> new HookRunner.PlannedHook(p, roles.get(p.source()))).toList();
  }
}
