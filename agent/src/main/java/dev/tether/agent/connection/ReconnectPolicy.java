package dev.tether.agent.connection;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How long an agent waits before it dials the server again after a session ended or failed. One
 * policy for the real agent and for the benchmark's simulated agents, so that the reconnection after a
 * server restart that the benchmark measures is the agent's.
 *
 * <p>Doubling with jitter from 1 s to at most 30 s, reset by a session that was established; a refused
 * token waits from 30 s to 5 minutes, since dialing again soon will not fix it; and never less than a
 * server's {@code retry-after}, plus up to a quarter more so that agents refused together come back apart.
 * The GitLab agent waits longer (its tunnels from 10 s doubling to 5 minutes, with jitter up to the same
 * again; Flux's controllers retry from 750 ms doubling to 15 minutes). After a restart an agent's next
 * attempt comes about as long after the server is ready as the server was down, up to the cap: with
 * 60 s, 10,000 agents took 112.9 s from ready (down 44.1 s); with 30 s, 42.1 s (down 20.4 s; a shared
 * machine, so the two runs differ in more than the cap). The price is twice the dialing at a server that
 * stays down, connections refused by its host before any TLS; the jitter with the server's connect limits
 * and retry-after keeps the return from becoming a thundering herd.
 */
public final class ReconnectPolicy {
  private final Backoff backoff;
  private final Backoff tokenBackoff;

  public ReconnectPolicy(Backoff backoff, Backoff tokenBackoff) {
    this.backoff = backoff;
    this.tokenBackoff = tokenBackoff;
  }

  /** The agent's policy; each agent (or simulated agent) needs its own, since it counts the attempts. */
  public static ReconnectPolicy forAgent() {
    return new ReconnectPolicy(new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30)),
        new Backoff(Duration.ofSeconds(30), Duration.ofMinutes(5)));
  }

  /**
   * The wait after a session that ended with {@code cause}, classified as the agent classifies it.
   *
   * @param established whether the server had welcomed the session
   */
  public Duration afterSession(boolean established, Throwable cause) {
    return after(established, ConnectionProblem.of(cause, "the server", "its CA"), false);
  }

  /** @param newToken whether the token changed since the refused session: worth trying at the normal pace */
  Duration after(boolean established, ConnectionProblem problem, boolean newToken) {
    Duration wait;
    if (problem.kind() == ConnectionProblem.Kind.TOKEN_REJECTED && !newToken) {
      wait = tokenBackoff.next();
    } else {
      if (established) {
        backoff.reset();
        tokenBackoff.reset();
      }
      wait = backoff.next();
    }
    return problem.retryAfter().map(hint -> waitAtLeast(hint, wait)).orElse(wait);
  }

  /**
   * The server's hint, when longer than our own backoff, plus up to a quarter more at random: agents
   * refused together (after a server restart) must not come back together.
   */
  static Duration waitAtLeast(Duration retryAfter, Duration backoffWait) {
    if (retryAfter.compareTo(backoffWait) <= 0) {
      return backoffWait;
    }
    return retryAfter.plusMillis(ThreadLocalRandom.current().nextLong(retryAfter.toMillis() / 4 + 1));
  }
}
