package dev.tether.server.git;

import java.time.Duration;

/**
 * Decides which server fetches a project in a poll interval, so that a project is fetched once per
 * interval however many servers keep it fetched. Webhooks and first fetches do not ask: they fetch.
 *
 * <p>Shared state: a shared implementation grants a claim to one replica per project and interval
 * (for example a row with an expiry, taken with one conditional update), and lets a claim lapse when
 * its replica dies so that the next poll is made by another ({@code PostgresFetchClaims}). The
 * replicas that did not fetch hear of a change from {@link ProjectChangeNotices} and fetch on that notice.
 */
@FunctionalInterface
public interface FetchClaims {
  /** One server alone: it always fetches. */
  FetchClaims ONE_SERVER = (projectId, interval) -> true;

  /** Whether this server should poll the project now; false when another fetched or fetches it this interval. */
  boolean claim(String projectId, Duration interval);
}
