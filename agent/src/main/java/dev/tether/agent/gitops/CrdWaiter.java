package dev.tether.agent.gitops;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Waits for the kinds of CRDs just applied to be served, so that their custom resources can follow. It
 * asks discovery (a few hundred bytes per group/version, which lists a CRD's kinds only once it is
 * Established) and then lists one custom resource (the kind's handler starts a moment later), never
 * the CRD itself, which can be several MB. Only kinds the commit holds objects of are waited for.
 */
final class CrdWaiter {
  private static final Duration POLL = Duration.ofMillis(100);

  private final ApiResources resources;
  private final KubeApi api;
  private final Clock clock;

  CrdWaiter(ApiResources resources, KubeApi api, Clock clock) {
    this.resources = resources;
    this.api = api;
    this.clock = clock;
  }

  /**
   * The custom resources with their types, once served; those whose kind is not served within
   * {@code limit}, or whose CRD failed, go to {@code results} as failed. A CRD whose kind became served
   * is recorded Current: discovery lists its kinds only once it is Established.
   *
   * @param crdOfKind the CRD of this commit that defines each "group/Kind"
   */
  List<PlannedObject> resolve(List<PlannedObject> unresolved, Map<String, ObjectKey> crdOfKind, Map<ObjectKey, ObjectResult> results,
      String defaultNamespace, Duration limit, StopSignal stop) {
    Map<String, List<PlannedObject>> byVersionKind = new LinkedHashMap<>();
    unresolved.forEach(p -> byVersionKind.computeIfAbsent(p.source().apiVersion() + "/" + p.source().kind(), k -> new ArrayList<>()).add(p));
    List<PlannedObject> resolved = new ArrayList<>();
    for (List<PlannedObject> objects : byVersionKind.values()) {
      PlannedObject first = objects.get(0);
      ObjectKey crd = crdOfKind.get(first.groupKind());
      ObjectResult crdResult = crd == null ? null : results.get(crd);
      if (crdResult == null || crdResult.failed()) {
        objects.forEach(p -> results.put(p.key(), p.failure("kind " + p.source().kind() + " of " + p.source().apiVersion()
            + (crd == null ? " is not served, and no CustomResourceDefinition in this wave or an earlier one serves it"
                : " is not served: its CustomResourceDefinition failed"))));
        continue;
      }
      Optional<ResourceType> type = await(first, limit, stop);
      if (type.isEmpty()) {
        String why = stop.reason() != null ? "not applied: the sync stopped (" + stop.reason() + ")"
            : "kind " + first.source().kind() + " of " + first.source().apiVersion() + " is still not served " + limit.toSeconds()
                + " s after its CustomResourceDefinition was applied";
        objects.forEach(p -> results.put(p.key(), p.failure(why)));
        if (stop.reason() == null) {
          results.put(crd, new ObjectResult(crd, crdResult.version(), Action.FAILED, Health.Status.IN_PROGRESS,
              "not established within " + limit.toSeconds() + " s: its kinds are not served", crdResult.file()));
        }
        continue;
      }
      if (crdResult.health() != Health.Status.CURRENT) {
        results.put(crd, crdResult.withHealth(new Health(Health.Status.CURRENT, "established")));
      }
      for (PlannedObject p : objects) {
        Map<ObjectKey, ObjectResult> refused = new LinkedHashMap<>();
        Optional<PlannedObject> scoped = ApplyPlanner.scoped(p.source(), p.content(), type.get(), defaultNamespace, refused);
        if (scoped.isPresent()) {
          resolved.add(scoped.get());
        } else {
          // Refused under the key it was planned with, so that nothing else refers to it.
          refused.values().forEach(r -> results.put(p.key(), p.failure(r.message())));
        }
      }
    }
    return resolved;
  }

  /** The kind's type once discovery lists it and its resources answer, or empty at the deadline. */
  private Optional<ResourceType> await(PlannedObject first, Duration limit, StopSignal stop) {
    String apiVersion = first.source().apiVersion();
    Instant deadline = clock.instant().plus(limit);
    Optional<ResourceType> type = resources.find(apiVersion, first.source().kind());
    while (type.isEmpty() && clock.instant().isBefore(deadline) && stop.reason() == null) {
      sleep();
      resources.refresh(apiVersion);
      type = resources.find(apiVersion, first.source().kind());
    }
    if (type.isEmpty()) {
      return type;
    }
    String namespace = type.get().namespaced() ? first.namespace() : null;
    while (!api.serves(type.get(), namespace == null || namespace.isEmpty() ? null : namespace)) {
      if (!clock.instant().isBefore(deadline) || stop.reason() != null) {
        break; // applying them will say what the API server answers
      }
      sleep();
    }
    return type;
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
