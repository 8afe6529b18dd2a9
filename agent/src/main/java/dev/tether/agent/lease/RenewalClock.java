package dev.tether.agent.lease;

import dev.tether.agent.connection.GitopsPermission;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.Lock;
import java.time.Duration;

/**
 * A Lease lock that tells {@link GitopsPermission} when each write of the Lease by this replica succeeded.
 * fabric8's elector checks its renew deadline only between attempts, so an attempt that hangs (the API
 * server unreachable, a request timeout of a minute) would keep it "leading" past the time when another
 * replica may take the Lease. The permission instead counts the deadline from the last successful
 * renewal, measured from the renewal time written into the Lease (taken before the request was sent).
 */
final class RenewalClock implements Lock {
  private final Lock lease;
  private final Duration renewDeadline;
  private final GitopsPermission permission;

  RenewalClock(Lock lease, Duration renewDeadline, GitopsPermission permission) {
    this.lease = lease;
    this.renewDeadline = renewDeadline;
    this.permission = permission;
  }

  @Override
  public LeaderElectionRecord get(KubernetesClient client) {
    return lease.get(client);
  }

  @Override
  public void create(KubernetesClient client, LeaderElectionRecord record) {
    lease.create(client, record);
    renewed(record);
  }

  @Override
  public void update(KubernetesClient client, LeaderElectionRecord record) {
    lease.update(client, record);
    renewed(record);
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
