package dev.tether.agent.connection;

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
    ANOTHER_CONNECTION_APPLIES
  }

  /** A state with its reason in words for the person running the agent. */
  public record Status(State state, String reason) {
    public boolean applies() {
      return state == State.APPLYING;
    }
  }

  private final List<Consumer<Status>> listeners = new CopyOnWriteArrayList<>();
  private volatile Status status = new Status(State.DISCONNECTED, "not connected to the server yet");
  private volatile boolean serverKnowsRoles;

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

  public boolean applies() {
    return status.applies();
  }

  /** Why this process must not write now, or null when it may. */
  public String refusal() {
    Status s = status;
    return s.applies() ? null : s.reason();
  }

  /** Called on every change of state, on the thread that made it; must not block. */
  public void onChange(Consumer<Status> listener) {
    listeners.add(listener);
  }

  void set(State state, String reason) {
    Status next = new Status(state, state == State.APPLYING ? "" : reason);
    Status previous;
    synchronized (this) {
      previous = status;
      if (previous.state() == next.state()) {
        return;
      }
      status = next;
    }
    switch (state) {
      case APPLYING -> log.info("GitOps: this connection applies the agent's manifests");
      case ANOTHER_CONNECTION_APPLIES -> log.warn("GitOps: not applying: {}", reason);
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
