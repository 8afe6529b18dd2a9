package dev.tether.server.render;

/**
 * What a renderer may know of the cluster an agent applies to: Helm's {@code .Capabilities}. A chart
 * picks its branches by them, so they are part of what a render reads and of its cache key.
 *
 * @param kubeVersion the cluster's version as the agent reported it at connect ({@code v1.37.2}); empty when unknown
 * @param agentRunsHooks whether the agent runs hook objects in sync phases (it says so in its request): a Helm render
 *     keeps a chart's hooks only for such an agent; an agent of an older version gets them left out, as before, rather
 *     than applying test and migration hooks as ordinary objects
 */
public record ClusterCapabilities(String kubeVersion, boolean agentRunsHooks) {
  /** Nothing known: Helm uses its own default version, as {@code helm template} does. */
  public static final ClusterCapabilities NONE = new ClusterCapabilities("", true);

  public ClusterCapabilities {
    kubeVersion = kubeVersion == null ? "" : kubeVersion.strip();
  }

  /** The capabilities a connection reported, or {@link #NONE}, for an agent that runs hooks. */
  public static ClusterCapabilities of(String kubeVersion) {
    return kubeVersion == null || kubeVersion.isBlank() ? NONE : new ClusterCapabilities(kubeVersion, true);
  }

  /** The same, for an agent that does not run hooks. */
  public ClusterCapabilities withoutHooks() {
    return new ClusterCapabilities(kubeVersion, false);
  }
}
