package dev.tether.agent.connection;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this agent process may apply, prune and correct drift now, and why not. It may only while
 * its session with the server is authenticated and current, and the server gave this connection the
 * agent's GitOps role: a process cut off from the server, refused its token, or started a second time
 * with the same token applies nothing, so two processes never undo each other's work.
 *
 * <p>A replica with a Lease (see {@code dev.tether.agent.lease}) also needs to hold it: both the Lease and
 * the server must say so. The Lease counts only until its renewal deadline: a replica whose renewal hangs
 * (the API server unreachable) stops writing at that deadline, before another replica can take the Lease
 * over, whatever the election's own bookkeeping still believes.
 */
public final class GitopsPermission {
  private static final Logger log = LoggerFactory.getLogger(GitopsPermission.class);

  /** Why this process applies or not. */
  public enum State {
    APPLYING,
    /** No session with the server: it may have moved on without this process. */
    DISCONNECTED,
    /** The server refused the agent's token (revoked, unknown): stop at once. */
    TOKEN_REFUSED,
    /** Connected, but another connection of the same agent applies. */
    ANOTHER_CONNECTION_APPLIES,
    /** This replica does not hold the agent's Lease: another replica runs GitOps. */
    NOT_LEADER
  }

  /** A state with its reason in words for the person running the agent. */
  public record Status(State state, String reason) {
    public boolean applies() {
      return state == State.APPLYING;
    }
  }

  private final List<Consumer<Status>> listeners = new CopyOnWriteArrayList<>();
  private final List<Runnable> leaseListeners = new CopyOnWriteArrayList<>();
  private final boolean usesLease;
  private final Clock clock;
  // Guarded by this: what the server said, and what the Lease says; status is what follows from both.
  private Status server = new Status(State.DISCONNECTED, "not connected to the server yet");
  private boolean leaseHeld;
  private String leaseReason = "the agent's Lease has not been acquired yet";
  private volatile Instant leaseValidUntil = Instant.MIN;
  private volatile Status status = server;
  private volatile boolean serverKnowsRoles;

  /** For a process that needs no Lease: the server's word alone decides. */
  public GitopsPermission() {
    this(false, Clock.systemUTC());
  }

  /** With {@code usesLease}, this process applies only while it also holds its Lease. */
  public GitopsPermission(boolean usesLease, Clock clock) {
    this.usesLease = usesLease;
    this.clock = clock;
  }

  /**
   * Whether the server of the current session gives out the role, and so also confirms each new stream's
   * manifests: a process that applies again then waits for that word instead of applying what it had.
   */
  public boolean serverKnowsRoles() {
    return serverKnowsRoles;
  }

  void serverKnowsRoles(boolean knows) {
    serverKnowsRoles = knows;
  }

  public Status current() {
    return status;
  }

  /** Whether this process may write now: the current status applies and, with a Lease, its renewal is not overdue. */
  public boolean applies() {
    return refusal() == null;
  }

  /** Why this process must not write now, or null when it may. */
  public String refusal() {
    Status s = status;
    if (!s.applies()) {
      return s.reason();
    }
    Instant until = leaseValidUntil;
    if (usesLease && !clock.instant().isBefore(until)) {
      return "this replica could not renew the agent's Lease in time (valid until " + until + "); it writes nothing until it "
          + "renews it or another replica takes over";
    }
    return null;
  }

  public boolean usesLease() {
    return usesLease;
  }

  public synchronized boolean leaseHeld() {
    return leaseHeld;
  }

  /**
   * The Lease was acquired or lost. {@code reason} says who holds it when this replica does not.
   * Listeners of {@link #onLeaseChange} hear it (the server is told), then listeners of the status.
   */
  public void leaseChanged(boolean held, String reason) {
    synchronized (this) {
      if (leaseHeld == held && reason.equals(leaseReason)) {
        return;
      }
      leaseHeld = held;
      leaseReason = reason;
      if (!held) {
        leaseValidUntil = Instant.MIN;
      }
    }
    leaseListeners.forEach(Runnable::run);
    update();
  }

  /** The Lease was renewed: this replica may write until {@code validUntil} unless it renews again. */
  public void leaseRenewed(Instant validUntil) {
    leaseValidUntil = validUntil;
  }

  /** Called when the Lease is acquired or lost, on the thread that saw it; must not block. */
  public void onLeaseChange(Runnable listener) {
    leaseListeners.add(listener);
  }

  /** Called on every change of state, on the thread that made it; must not block. */
  public void onChange(Consumer<Status> listener) {
    listeners.add(listener);
  }

  void set(State state, String reason) {
    synchronized (this) {
      server = new Status(state, state == State.APPLYING ? "" : reason);
    }
    update();
  }

  // The server's word first (no session, a refused token), then the Lease (more precise than the server's
  // standby reason), then the server's role.
  private void update() {
    // One change at a time from here to the listeners: they hear the changes in the order they were made.
    synchronized (delivering) {
      deliver();
    }
  }

  private final Object delivering = new Object();

  private void deliver() {
    Status next;
    Status previous;
    synchronized (this) {
      boolean session = server.state() == State.APPLYING || server.state() == State.ANOTHER_CONNECTION_APPLIES;
      next = session && usesLease && !leaseHeld ? new Status(State.NOT_LEADER, leaseReason) : server;
      previous = status;
      if (previous.state() == next.state()) {
        // The same state for a newer reason (a follower that learns who holds the Lease): what the status says
        // changes, nothing that acts on the state needs to hear it.
        status = next;
        return;
      }
      status = next;
    }
    String reason = next.reason();
    switch (next.state()) {
      case APPLYING -> log.info("GitOps: this {} applies the agent's manifests", usesLease ? "replica" : "connection");
      case ANOTHER_CONNECTION_APPLIES -> log.warn("GitOps: not applying: {}", reason);
      case NOT_LEADER -> log.info("GitOps: not applying: {}", reason);
      case TOKEN_REFUSED -> log.warn("GitOps: stopped at once: {}", reason);
      case DISCONNECTED -> {
        if (previous.applies()) {
          log.warn("GitOps: paused until the server is back ({}); nothing is applied, pruned or put back meanwhile", reason);
        }
      }
    }
    listeners.forEach(l -> l.accept(next));
  }
}
