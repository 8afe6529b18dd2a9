package dev.tether.agent.gitops;

import java.util.Map;

/**
 * One object of a plan: its manifest, the content to apply (with the owning-inventory annotation and
 * its namespace filled in), and its type; the type is null for a custom resource whose CRD the same
 * commit applies, until that CRD is served.
 */
record PlannedObject(DesiredObject source, Map<String, Object> content, ResourceType type, ObjectKey key) {

  String namespace() {
    return key.namespace();
  }

  String version() {
    return type == null ? source.apiVersion() : type.version();
  }

  /** "group/Kind" of the manifest. */
  String groupKind() {
    return source.group() + "/" + source.kind();
  }

  boolean resolved() {
    return type != null;
  }

  /** Namespaces and CRDs are applied first: the rest may live in them or be of their kinds. */
  boolean firstStage() {
    return key.isNamespace() || key.isCrd();
  }

  ObjectResult failure(String message) {
    return ObjectResult.failure(key, version(), message, source.file());
  }
}
