package dev.tether.agent.lease;

import java.time.Duration;

/**
 * The Lease that elects the replica running GitOps, and its timing.
 *
 * <p>The numbers (10 s, 7 s, 2 s) give a takeover within 15 s of a leader's death: the others see the
 * Lease expire 10 s after its last renewal and try every 2 to 4.4 s (the retry period with fabric8's
 * jitter), so one holds it at most 14.4 s after the leader's last renewal. A leader that cannot renew for
 * 7 s stops writing, 3 s before anyone else could take the Lease, which leaves room for a write in flight
 * and for clock skew between nodes. A leader that stops cleanly releases the Lease at once.
 *
 * @param namespace where the Lease lives: the agent's own namespace
 * @param name the Lease's name, one per agent installation
 * @param identity this replica's name in the Lease (its pod name)
 * @param leaseDuration how long a Lease stays valid after its last renewal, for the others
 * @param renewDeadline how long the leader keeps leading without a successful renewal
 * @param retryPeriod how often the leader renews, and the others try to acquire
 */
public record LeaseSettings(String namespace, String name, String identity, Duration leaseDuration, Duration renewDeadline,
    Duration retryPeriod) {

  public static final String DEFAULT_NAME = "tether-agent-gitops";
  public static final Duration LEASE_DURATION = Duration.ofSeconds(10);
  public static final Duration RENEW_DEADLINE = Duration.ofSeconds(7);
  public static final Duration RETRY_PERIOD = Duration.ofSeconds(2);

  public LeaseSettings {
    if (namespace == null || namespace.isBlank() || name == null || name.isBlank() || identity == null || identity.isBlank()) {
      throw new IllegalArgumentException("the GitOps Lease needs a namespace, a name and this replica's identity");
    }
    if (renewDeadline.compareTo(leaseDuration) >= 0 || retryPeriod.compareTo(renewDeadline) >= 0) {
      throw new IllegalArgumentException("the GitOps Lease needs retry period < renew deadline < lease duration, got "
          + retryPeriod + ", " + renewDeadline + ", " + leaseDuration + ": a leader must stop before others can take over");
    }
  }

  /** The Lease {@code namespace/name} with the default timing. */
  public static LeaseSettings of(String namespace, String name, String identity) {
    return new LeaseSettings(namespace, name, identity, LEASE_DURATION, RENEW_DEADLINE, RETRY_PERIOD);
  }

  public String describe() {
    return "Lease " + namespace + "/" + name;
  }
}
