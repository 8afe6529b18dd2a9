package dev.tether.agent.lease;

import dev.tether.agent.connection.GitopsPermission;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Elects the replica that runs GitOps with a {@code coordination.k8s.io/v1} Lease, as the GitLab agent's
 * replicas do, using fabric8's leader election; every replica keeps serving proxied requests and its
 * configuration whatever the Lease says. Each change is handed to {@link GitopsPermission}, which lets
 * this replica write only while it holds the Lease within its renew deadline (see {@link RenewalClock}).
 * fabric8's elector gives up for good once it loses the Lease; this one then contends again. On a clean
 * stop it releases the Lease, so another replica takes over within a retry period instead of a lease.
 */
public final class GitopsLeaseElection implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GitopsLeaseElection.class);
  private static final long ACCESS_RECHECK_SECONDS = 30;
  private static final List<String> VERBS = List.of("get", "create", "update");

  private final KubernetesClient client;
  private final LeaseSettings settings;
  private final GitopsPermission permission;
  private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "gitops-lease");
    t.setDaemon(true);
    return t;
  });
  private volatile boolean closed;
  private volatile CompletableFuture<?> running;

  /** {@code client} should time out quickly (well within the renew deadline) and not retry: the elector retries. */
  public GitopsLeaseElection(KubernetesClient client, LeaseSettings settings, GitopsPermission permission) {
    this.client = client;
    this.settings = settings;
    this.permission = permission;
  }

  public GitopsLeaseElection start() {
    log.info("GitOps runs on the replica that holds the {} (this replica: {}; lease {} s, renew deadline {} s, retry {} s)",
        settings.describe(), settings.identity(), settings.leaseDuration().toSeconds(), settings.renewDeadline().toSeconds(),
        settings.retryPeriod().toSeconds());
    thread.execute(this::checkAccessThenElect);
    return this;
  }

  /** Without the rights on leases the election would fail every two seconds with a stack trace; say once what to add. */
  private void checkAccessThenElect() {
    if (closed) {
      return;
    }
    List<String> missing = new ArrayList<>();
    try {
      for (String verb : VERBS) {
        if (!allowed(verb)) {
          missing.add(verb);
        }
      }
    } catch (KubernetesClientException e) {
      log.debug("Could not review the access to leases ({}); trying the election anyway", e.getMessage());
    }
    if (!missing.isEmpty()) {
      String reason = "this replica may not " + String.join(", ", missing) + " leases (coordination.k8s.io) in namespace '"
          + settings.namespace() + "', so it cannot take part in the election of the replica that runs GitOps. Give the agent's "
          + "service account a Role with verbs [get, create, update] on resources [leases] of apiGroups [coordination.k8s.io] "
          + "in that namespace (`tether agent manifests` and the Helm chart include it), or run one replica with --gitops-lease off";
      log.error("GitOps does not run: {}; checking again every {} s", reason, ACCESS_RECHECK_SECONDS);
      permission.leaseChanged(false, reason);
      thread.schedule(this::checkAccessThenElect, ACCESS_RECHECK_SECONDS, TimeUnit.SECONDS);
      return;
    }
    elect();
  }

  private boolean allowed(String verb) {
    SelfSubjectAccessReview review = client.authorization().v1().selfSubjectAccessReview().create(new SelfSubjectAccessReviewBuilder()
        .withNewSpec().withNewResourceAttributes().withGroup("coordination.k8s.io").withResource("leases").withVerb(verb)
        .withNamespace(settings.namespace()).withName(verb.equals("create") ? null : settings.name()).endResourceAttributes()
        .endSpec().build());
    return review.getStatus() != null && Boolean.TRUE.equals(review.getStatus().getAllowed());
  }

  private void elect() {
    if (closed) {
      return;
    }
    LeaderElector elector = new LeaderElector(client, new LeaderElectionConfigBuilder()
        .withName("tether-agent-gitops")
        .withLock(new RenewalClock(new LeaseLock(settings.namespace(), settings.name(), settings.identity()),
            settings.renewDeadline(), permission, settings.describe()))
        .withLeaseDuration(settings.leaseDuration())
        .withRenewDeadline(settings.renewDeadline())
        .withRetryPeriod(settings.retryPeriod())
        .withReleaseOnCancel(true)
        .withLeaderCallbacks(new LeaderCallbacks(this::started, this::stopped, this::newLeader))
        .build(), thread);
    CompletableFuture<?> election = elector.start();
    running = election;
    election.whenComplete((done, failure) -> {
      if (!closed) {
        // Lost the Lease (or failed to renew it in time): contend again, as a follower.
        permission.leaseChanged(false, "this replica lost the " + settings.describe() + " (it could not renew it within "
            + settings.renewDeadline().toSeconds() + " s); it tries to take it again");
        thread.schedule(this::elect, settings.retryPeriod().toMillis(), TimeUnit.MILLISECONDS);
      }
    });
  }

  private void started() {
    log.info("This replica ({}) holds the {} and runs GitOps", settings.identity(), settings.describe());
    permission.leaseChanged(true, "");
  }

  private void stopped() {
    log.warn("This replica ({}) no longer holds the {}: GitOps stops before its next write", settings.identity(),
        settings.describe());
    permission.leaseChanged(false, "this replica lost the " + settings.describe() + "; it tries to take it again");
  }

  private void newLeader(String holder) {
    if (holder == null || holder.isEmpty()) {
      permission.leaseChanged(false, "the " + settings.describe() + " is free; this replica tries to take it");
    } else if (!holder.equals(settings.identity())) {
      log.info("Replica {} holds the {} and runs GitOps; this one ({}) serves proxied requests and takes over if it goes", holder,
          settings.describe(), settings.identity());
      permission.leaseChanged(false, "replica " + holder + " holds the agent's " + settings.describe() + " and runs GitOps; this "
          + "replica serves proxied requests and takes over if that one goes");
    }
  }

  /** Stops contending; a held Lease is released so that another replica takes over at once. */
  @Override
  public void close() {
    closed = true;
    permission.leaseChanged(false, "the agent is stopping");
    CompletableFuture<?> election = running;
    if (election != null) {
      election.cancel(true); // releases the Lease, on this thread, before returning
    }
    thread.shutdownNow();
  }
}
