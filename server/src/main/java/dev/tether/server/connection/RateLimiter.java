package dev.tether.server.connection;

import java.time.Duration;
import java.util.Optional;

/** A rate per key (a token, an address), taken one permit at a time. */
public interface RateLimiter {
  /** The rate, a minute, for messages that tell the refused client the limit. */
  int perMinute();

  /** Takes a permit for the key: empty when there was one, else how long until there is. */
  Optional<Duration> tryTake(String key);

  /** How long until the key has a permit, without taking one: empty when it has one now. */
  Optional<Duration> waitFor(String key);
}
