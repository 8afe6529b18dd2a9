package dev.tether.agent.gitops;

import java.util.Comparator;

/**
 * An object's identity regardless of API version, as cli-utils keys its inventory:
 * {@code <namespace>_<name>_<group>_<kind>}, with ':' in RBAC names written as "__".
 */
public record ObjectKey(String group, String kind, String namespace, String name) implements Comparable<ObjectKey> {
  private static final Comparator<ObjectKey> ORDER = Comparator.comparing(ObjectKey::group).thenComparing(ObjectKey::kind)
      .thenComparing(ObjectKey::namespace).thenComparing(ObjectKey::name);

  public ObjectKey {
    namespace = namespace == null ? "" : namespace;
  }

  /** The cli-utils inventory entry for this object. */
  public String inventoryEntry() {
    return namespace + "_" + name.replace(":", "__") + "_" + group + "_" + kind;
  }

  /** Reads a cli-utils inventory entry; empty if it is not one. */
  public static java.util.Optional<ObjectKey> parseInventoryEntry(String entry) {
    int first = entry.indexOf('_');
    int last = entry.lastIndexOf('_');
    if (first < 0 || last <= first) {
      return java.util.Optional.empty();
    }
    String namespace = entry.substring(0, first);
    String kind = entry.substring(last + 1);
    String rest = entry.substring(first + 1, last);
    int groupAt = rest.lastIndexOf('_');
    if (groupAt < 0 || kind.isEmpty()) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(new ObjectKey(rest.substring(groupAt + 1), kind, namespace,
        rest.substring(0, groupAt).replace("__", ":")));
  }

  public boolean isNamespace() {
    return group.isEmpty() && kind.equals("Namespace");
  }

  public boolean isCrd() {
    return group.equals("apiextensions.k8s.io") && kind.equals("CustomResourceDefinition");
  }

  @Override
  public int compareTo(ObjectKey other) {
    return ORDER.compare(this, other);
  }

  @Override
  public String toString() {
    return (group.isEmpty() ? "" : group + "/") + kind + " " + (namespace.isEmpty() ? "" : namespace + "/") + name;
  }
}
