package dev.tether.agent.gitops;

/** A kind as the API server serves it: where its objects live and whether they are namespaced. */
public record ResourceType(String group, String version, String kind, String plural, boolean namespaced) {

  public String apiVersion() {
    return group.isEmpty() ? version : group + "/" + version;
  }

  /** The REST path of one object (name null: the collection) in a namespace (null: cluster-wide or all). */
  public String path(String namespace, String name) {
    StringBuilder p = new StringBuilder(group.isEmpty() ? "/api/v1" : "/apis/" + group + "/" + version);
    if (namespaced && namespace != null && !namespace.isEmpty()) {
      p.append("/namespaces/").append(encode(namespace));
    }
    p.append('/').append(plural);
    if (name != null) {
      p.append('/').append(encode(name));
    }
    return p.toString();
  }

  private static String encode(String segment) {
    return java.net.URLEncoder.encode(segment, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
  }
}
