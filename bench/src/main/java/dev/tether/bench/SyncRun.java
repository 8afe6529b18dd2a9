package dev.tether.bench;

import java.time.Duration;

/**
 * One engine's turn on one set of objects: its first sync into an empty namespace, then a sync of
 * the same objects again (nothing changed), with the requests each made and the control plane's
 * CPU time during the first.
 */
record SyncRun(String engine, long ms, ApiRequests requests, Duration planeCpu, long resyncMs, ApiRequests resyncRequests) {
  /** The control plane's CPU time for this run's requests spread over every core: no client could be faster. */
  long floorMs(int cores) {
    return planeCpu.toMillis() / cores;
  }
}
