package dev.tether.agent.gitops;

import java.util.Map;

/**
 * An object as Git describes it, with where it came from.
 *
 * @param document 0-based index of the YAML document in its file
 */
public record DesiredObject(String apiVersion, String kind, Map<String, Object> content, String file, int document, int line) {

  @SuppressWarnings("unchecked")
  public Map<String, Object> metadata() {
    return (Map<String, Object>) content.get("metadata");
  }

  public String name() {
    return String.valueOf(metadata().get("name"));
  }

  public String namespace() {
    Object ns = metadata().get("namespace");
    return ns == null ? "" : String.valueOf(ns);
  }

  public String group() {
    int slash = apiVersion.indexOf('/');
    return slash < 0 ? "" : apiVersion.substring(0, slash);
  }

  public ObjectKey key() {
    return new ObjectKey(group(), kind, namespace(), name());
  }

  /** "manifests/app.yaml, document 2 (line 14)" */
  public String source() {
    return file + ", document " + (document + 1) + " (line " + line + ")";
  }
}
