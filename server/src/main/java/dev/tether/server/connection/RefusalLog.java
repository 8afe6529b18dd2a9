package dev.tether.server.connection;

import dev.tether.server.events.Repeats;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warns of refused agent calls without writing a line per call: the first refusal of an address
 * for a reason is logged as it is, the following ones at most once a minute as a count.
 */
final class RefusalLog {
  private static final Logger log = LoggerFactory.getLogger(AgentAuthentication.class);
  private static final int MAX_TRACKED = 1_000;

  private record Source(String address, String reason) {}

  private final Repeats<Source> repeats;

  RefusalLog(Clock clock) {
    Duration minute = Duration.ofMinutes(1);
    repeats = new Repeats<>(1, minute, minute, MAX_TRACKED, new Source("many addresses", "various reasons"), clock);
  }

  /**
   * @param address where the call came from, as limits count it (no port)
   * @param reason what makes two refusals the same, e.g. "unknown token"
   * @param from the caller's address and port, for the first line
   */
  void refused(String address, String reason, String from, String message) {
    if (repeats.admit(new Source(address, reason), message)) {
      log.warn("Refused an agent call from {}: {}", from, message);
    }
    for (Repeats.Summary<Source> summary : repeats.ended()) {
      log.warn("Refused {} more agent call{} from {} {}: {}", summary.count(), summary.count() == 1 ? "" : "s",
          summary.key().address(), summary.period(), summary.last());
    }
  }
}
