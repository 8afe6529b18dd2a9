package dev.tether.server.connection;

import java.time.Clock;

/**
 * Makes the server's rate limiters: agent connections per token, refused tokens per address,
 * proxied requests per access token.
 *
 * <p>Shared state: with server replicas behind a load balancer, a client's calls land on any replica.
 * A shared implementation counts each key's permits across replicas (so that N replicas do not allow
 * N times the rate), may count in small local batches to keep the shared store off the hot path, and
 * must let calls through on this replica's own count when the shared store cannot be reached, never
 * refuse every client at once.
 */
@FunctionalInterface
public interface RateLimits {
  /**
   * A limiter of {@code perSecond} a second in bursts of up to {@code burst}; a rate of 0 lets everything through.
   *
   * @param name what is limited, unique per limiter (a shared implementation keys its counts by it)
   * @param maxKeys keys tracked at once; past that, new keys share one bucket
   */
  RateLimiter limiter(String name, double perSecond, int burst, int maxKeys);

  /** {@code perMinute} a minute, in bursts of as many. */
  default RateLimiter perMinute(String name, int perMinute, int maxKeys) {
    return limiter(name, perMinute / 60.0, perMinute, maxKeys);
  }

  /** Limits counted by this server alone. */
  static RateLimits inProcess(Clock clock) {
    return (name, perSecond, burst, maxKeys) -> new RateLimit(perSecond, burst, maxKeys, clock);
  }
}
