package dev.tether.server.render;

/**
 * What a renderer may know of the cluster an agent applies to: Helm's {@code .Capabilities}. A chart
 * picks its branches by them, so they are part of what a render reads and of its cache key.
 *
 * @param kubeVersion the cluster's version as the agent reported it at connect ({@code v1.37.2}); empty when unknown
 */
public record ClusterCapabilities(String kubeVersion) {
  /** Nothing known: Helm uses its own default version, as {@code helm template} does. */
  public static final ClusterCapabilities NONE = new ClusterCapabilities("");

  public ClusterCapabilities {
    kubeVersion = kubeVersion == null ? "" : kubeVersion.strip();
  }

  /** The capabilities a connection reported, or {@link #NONE}. */
  public static ClusterCapabilities of(String kubeVersion) {
    return kubeVersion == null || kubeVersion.isBlank() ? NONE : new ClusterCapabilities(kubeVersion);
  }
}
