package dev.tether.agent.lease;

import dev.tether.agent.connection.GitopsPermission;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.Lock;
import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Lease lock that tells {@link GitopsPermission} when each write of the Lease by this replica succeeded.
 * fabric8's elector checks its renew deadline only between attempts, so an attempt that hangs (the API
 * server unreachable, a request timeout of a minute) would keep it "leading" past the time when another
 * replica may take the Lease. The permission instead counts the deadline from the last successful
 * renewal, measured from the renewal time written into the Lease (taken before the request was sent).
 *
 * <p>It also says, once per cause, why the Lease cannot be read or written: fabric8's elector logs each
 * failed attempt (every retry period) with the whole API answer, so its logger is quiet in the agent's
 * logging configuration and this line is the one the user reads.
 */
final class RenewalClock implements Lock {
  private static final Logger log = LoggerFactory.getLogger(RenewalClock.class);
  private final Lock lease;
  private final Duration renewDeadline;
  private final GitopsPermission permission;
  private final String leaseName;
  /** The last failure said, so that a cause that lasts is said once, not at every retry. */
  private volatile String lastFailure = "";

  RenewalClock(Lock lease, Duration renewDeadline, GitopsPermission permission, String leaseName) {
    this.lease = lease;
    this.leaseName = leaseName;
    this.renewDeadline = renewDeadline;
    this.permission = permission;
  }

  @Override
  public LeaderElectionRecord get(KubernetesClient client) {
    return said("read", () -> lease.get(client));
  }

  @Override
  public void create(KubernetesClient client, LeaderElectionRecord record) {
    said("create", () -> {
      lease.create(client, record);
      return null;
    });
    renewed(record);
  }

  @Override
  public void update(KubernetesClient client, LeaderElectionRecord record) {
    said("renew", () -> {
      lease.update(client, record);
      return null;
    });
    renewed(record);
  }

  private <T> T said(String verb, Supplier<T> call) {
    try {
      T result = call.get();
      lastFailure = "";
      return result;
    } catch (KubernetesClientException e) {
      // A conflict is another replica writing the Lease first: the election's normal course, not a failure.
      if (e.getCode() != 409) {
        String why = e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage() : e.getMessage();
        String failure = verb + ": " + why;
        if (!failure.equals(lastFailure)) {
          lastFailure = failure;
          log.warn("Cannot {} the {}: {}{}; GitOps waits on this replica and tries again every few seconds", verb, leaseName,
              why, e.getCode() == 404 ? " (create that namespace, or name another with --gitops-lease-namespace)" : "");
        }
      }
      throw e;
    }
  }

  private void renewed(LeaderElectionRecord record) {
    if (identity().equals(record.getHolderIdentity()) && record.getRenewTime() != null) {
      permission.leaseRenewed(record.getRenewTime().toInstant().plus(renewDeadline));
    }
  }

  @Override
  public String identity() {
    return lease.identity();
  }

  @Override
  public String describe() {
    return lease.describe();
  }
}
