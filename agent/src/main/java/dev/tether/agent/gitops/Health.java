package dev.tether.agent.gitops;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An object's health the way kstatus (and so cli-utils and Flux) computes it: whether the cluster
 * has caught up with what was applied. Generic rules (generation observed, Ready/Reconciling/
 * Stalled conditions) plus the workload rules for Deployment, StatefulSet, DaemonSet, Job, PVC,
 * Service, CRD and Pod.
 */
public record Health(Status status, String message) {

  /** kstatus' statuses, and NONE where no health is known (the object was neither applied nor read). */
  public enum Status {
    CURRENT, IN_PROGRESS, FAILED, UNKNOWN, NOT_FOUND, NONE;

    /** The name cli-utils and kubectl users know: Current, InProgress, Failed, Unknown, NotFound; NONE is empty. */
    public String statusName() {
      return switch (this) {
        case CURRENT -> "Current";
        case IN_PROGRESS -> "InProgress";
        case FAILED -> "Failed";
        case UNKNOWN -> "Unknown";
        case NOT_FOUND -> "NotFound";
        case NONE -> "";
      };
    }
  }

  public static Health notFound() {
    return new Health(Status.NOT_FOUND, "object does not exist");
  }

  /** The name cli-utils and kubectl users know: Current, InProgress, Failed, Unknown, NotFound. */
  public String statusName() {
    return status.statusName();
  }

  private static Health current(String message) {
    return new Health(Status.CURRENT, message);
  }

  private static Health progressing(String message) {
    return new Health(Status.IN_PROGRESS, message);
  }

  private static Health failed(String message) {
    return new Health(Status.FAILED, message);
  }

  @SuppressWarnings("unchecked")
  public static Health of(Map<String, Object> object) {
    Map<String, Object> metadata = map(object.get("metadata"));
    if (metadata.get("deletionTimestamp") != null) {
      return progressing("being deleted");
    }
    Map<String, Object> status = map(object.get("status"));
    Long generation = number(metadata.get("generation"));
    Long observed = number(status.get("observedGeneration"));
    String group = group(String.valueOf(object.get("apiVersion")));
    String kind = String.valueOf(object.get("kind"));
    boolean hasObservedGeneration = status.containsKey("observedGeneration");
    if (generation != null && observed != null && observed < generation) {
      return progressing("the controller has not observed generation " + generation + " yet (it has seen " + observed + ")");
    }
    Map<String, Object> spec = map(object.get("spec"));
    return switch (group + "/" + kind) {
      case "apps/Deployment" -> deployment(spec, status, hasObservedGeneration);
      case "apps/StatefulSet" -> statefulSet(spec, status, hasObservedGeneration);
      case "apps/DaemonSet" -> daemonSet(status, hasObservedGeneration);
      case "batch/Job" -> job(spec, status);
      case "/PersistentVolumeClaim" -> "Bound".equals(status.get("phase")) ? current("bound")
          : progressing("not bound yet (phase " + status.getOrDefault("phase", "Pending") + ")");
      case "/Service" -> service(spec, status);
      case "/Pod" -> pod(status);
      case "apiextensions.k8s.io/CustomResourceDefinition" -> crd(status);
      default -> generic(status);
    };
  }

  private static Health deployment(Map<String, Object> spec, Map<String, Object> status, boolean observed) {
    if (!observed) {
      return progressing("the deployment controller has not seen this Deployment yet");
    }
    Map<String, Object> progressing = condition(status, "Progressing");
    if (progressing != null && "ProgressDeadlineExceeded".equals(progressing.get("reason"))) {
      return failed("progress deadline exceeded: " + progressing.getOrDefault("message", ""));
    }
    long want = replicas(spec);
    long updated = count(status, "updatedReplicas");
    long total = count(status, "replicas");
    long available = count(status, "availableReplicas");
    long ready = count(status, "readyReplicas");
    if (updated < want) {
      return progressing("updated replicas: " + updated + "/" + want);
    }
    if (total > updated) {
      return progressing("pending termination: " + (total - updated));
    }
    if (available < updated) {
      return progressing("available replicas: " + available + "/" + updated);
    }
    if (ready < want) {
      return progressing("ready replicas: " + ready + "/" + want);
    }
    return current("available, " + want + " replicas");
  }

  private static Health statefulSet(Map<String, Object> spec, Map<String, Object> status, boolean observed) {
    if (!observed) {
      return progressing("the statefulset controller has not seen this StatefulSet yet");
    }
    long want = replicas(spec);
    long ready = count(status, "readyReplicas");
    long current = count(status, "currentReplicas");
    if (ready < want) {
      return progressing("ready replicas: " + ready + "/" + want);
    }
    Map<String, Object> strategy = map(spec.get("updateStrategy"));
    if (!"OnDelete".equals(strategy.get("type"))) {
      long partition = count(map(strategy.get("rollingUpdate")), "partition");
      long updated = count(status, "updatedReplicas");
      if (partition == 0 && !Objects.equals(status.get("currentRevision"), status.get("updateRevision"))) {
        return progressing("rolling update: " + updated + "/" + want + " replicas updated");
      }
      if (partition > 0 && updated < want - partition) {
        return progressing("partitioned rollout: " + updated + "/" + (want - partition) + " replicas updated");
      }
    }
    if (current < want && current != 0) {
      return progressing("current replicas: " + current + "/" + want);
    }
    return current("ready, " + want + " replicas");
  }

  private static Health daemonSet(Map<String, Object> status, boolean observed) {
    if (!observed) {
      return progressing("the daemonset controller has not seen this DaemonSet yet");
    }
    long desired = count(status, "desiredNumberScheduled");
    long updated = count(status, "updatedNumberScheduled");
    long available = count(status, "numberAvailable");
    long ready = count(status, "numberReady");
    if (updated < desired) {
      return progressing("updated: " + updated + "/" + desired);
    }
    if (available < desired) {
      return progressing("available: " + available + "/" + desired);
    }
    if (ready < desired) {
      return progressing("ready: " + ready + "/" + desired);
    }
    return current("all " + desired + " pods ready");
  }

  private static Health job(Map<String, Object> spec, Map<String, Object> status) {
    Map<String, Object> failedCondition = condition(status, "Failed");
    if (failedCondition != null && "True".equals(failedCondition.get("status"))) {
      return failed("job failed: " + failedCondition.getOrDefault("message", failedCondition.getOrDefault("reason", "")));
    }
    Map<String, Object> complete = condition(status, "Complete");
    if (complete != null && "True".equals(complete.get("status"))) {
      return current("job completed");
    }
    if (!status.containsKey("startTime")) {
      return progressing("job not started yet");
    }
    return progressing("job running: " + count(status, "succeeded") + " succeeded, " + count(status, "active") + " active");
  }

  private static Health service(Map<String, Object> spec, Map<String, Object> status) {
    if ("LoadBalancer".equals(spec.get("type"))) {
      List<Object> ingress = list(map(status.get("loadBalancer")).get("ingress"));
      return ingress.isEmpty() ? progressing("waiting for a load balancer address") : current("load balancer ready");
    }
    return current("service ready");
  }

  private static Health pod(Map<String, Object> status) {
    Object phase = status.get("phase");
    if ("Succeeded".equals(phase)) {
      return current("pod succeeded");
    }
    if ("Failed".equals(phase)) {
      return failed("pod failed: " + status.getOrDefault("message", status.getOrDefault("reason", "")));
    }
    Map<String, Object> ready = condition(status, "Ready");
    if ("Running".equals(phase) && ready != null && "True".equals(ready.get("status"))) {
      return current("pod running and ready");
    }
    return progressing("pod " + (phase == null ? "not scheduled yet" : phase.toString().toLowerCase(java.util.Locale.ROOT)));
  }

  private static Health crd(Map<String, Object> status) {
    Map<String, Object> names = condition(status, "NamesAccepted");
    if (names != null && "False".equals(names.get("status"))) {
      return failed("names not accepted: " + names.getOrDefault("message", ""));
    }
    Map<String, Object> established = condition(status, "Established");
    if (established != null && "True".equals(established.get("status"))) {
      return current("established");
    }
    return progressing("not established yet");
  }

  private static Health generic(Map<String, Object> status) {
    Map<String, Object> stalled = condition(status, "Stalled");
    if (stalled != null && "True".equals(stalled.get("status"))) {
      return failed("stalled: " + stalled.getOrDefault("message", stalled.getOrDefault("reason", "")));
    }
    Map<String, Object> reconciling = condition(status, "Reconciling");
    if (reconciling != null && "True".equals(reconciling.get("status"))) {
      return progressing("reconciling: " + reconciling.getOrDefault("message", reconciling.getOrDefault("reason", "")));
    }
    Map<String, Object> ready = condition(status, "Ready");
    if (ready != null) {
      if ("True".equals(ready.get("status"))) {
        return current("ready");
      }
      return progressing("not ready: " + ready.getOrDefault("message", ready.getOrDefault("reason", "")));
    }
    return current(status.isEmpty() ? "applied" : "no conditions to wait for");
  }

  private static Map<String, Object> condition(Map<String, Object> status, String type) {
    for (Object c : list(status.get("conditions"))) {
      Map<String, Object> condition = map(c);
      if (type.equals(condition.get("type"))) {
        return condition;
      }
    }
    return null;
  }

  private static long replicas(Map<String, Object> spec) {
    Long value = number(spec.get("replicas"));
    return value == null ? 1 : value;
  }

  private static long count(Map<String, Object> map, String field) {
    Long value = number(map.get(field));
    return value == null ? 0 : value;
  }

  private static Long number(Object value) {
    return value instanceof Number n ? n.longValue() : null;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value) {
    return value instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object value) {
    return value instanceof List<?> l ? (List<Object>) l : List.of();
  }

  private static String group(String apiVersion) {
    int slash = apiVersion.indexOf('/');
    return slash < 0 ? "" : apiVersion.substring(0, slash);
  }
}
