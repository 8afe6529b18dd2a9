package dev.tether.agent.gitops;

import dev.tether.agent.connection.Backoff;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When a failed sync is tried again: after a doubling, jittered delay (so a long outage costs a few
 * failed syncs, not one a second), or at once when the API server is back. While a retry waits, a
 * cheap readiness check runs every few seconds, and the first success after a failed one syncs at
 * once; a first check that succeeds means the sync failed for another reason (a webhook refusing,
 * say), so the checks stop and the delay decides. Used on its worker's thread only.
 */
final class SyncRetries {
  private static final Logger log = LoggerFactory.getLogger(SyncRetries.class);
  private static final Duration READINESS_CHECK = Duration.ofSeconds(2);

  private final String project;
  private final ScheduledExecutorService thread;
  private final Backoff backoff;
  private final Supplier<CompletableFuture<Boolean>> apiServerReady;
  private ScheduledFuture<?> retry;
  private ScheduledFuture<?> readinessCheck;
  private long checks;
  private boolean apiServerWasAway;

  SyncRetries(String project, ScheduledExecutorService thread, Backoff backoff, Supplier<CompletableFuture<Boolean>> apiServerReady) {
    this.project = project;
    this.thread = thread;
    this.backoff = backoff;
    this.apiServerReady = apiServerReady;
  }

  /**
   * Tries again later.
   *
   * @param syncAgain runs the sync, with why
   * @return how long until the retry, unless the API server comes back first
   */
  Duration afterFailure(Consumer<String> syncAgain) {
    cancel();
    Duration delay = backoff.next();
    retry = thread.schedule(() -> {
      retry = null;
      syncAgain.accept("retry after a failed sync");
    }, delay.toMillis(), TimeUnit.MILLISECONDS);
    apiServerWasAway = false;
    checkReadinessSoon(syncAgain);
    return delay;
  }

  /** A sync is starting: no retry is needed for now. */
  void cancel() {
    if (retry != null) {
      retry.cancel(false);
      retry = null;
    }
    if (readinessCheck != null) {
      readinessCheck.cancel(false);
      readinessCheck = null;
    }
    checks++;
  }

  /** A sync succeeded or new manifests arrived: the next failure waits the shortest delay again. */
  void reset() {
    cancel();
    backoff.reset();
  }

  private void checkReadinessSoon(Consumer<String> syncAgain) {
    long check = ++checks;
    readinessCheck = thread.schedule(() -> apiServerReady.get().thenAccept(ready -> {
      try {
        thread.execute(() -> readinessChecked(check, ready, syncAgain));
      } catch (RejectedExecutionException stopping) {
        // the worker stopped meanwhile
      }
    }), READINESS_CHECK.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void readinessChecked(long check, boolean ready, Consumer<String> syncAgain) {
    if (check != checks || retry == null) {
      return; // a sync ran meanwhile
    }
    readinessCheck = null;
    if (!ready) {
      log.debug("gitops {}: the API server is not ready", project);
      apiServerWasAway = true;
      checkReadinessSoon(syncAgain);
    } else if (apiServerWasAway) {
      cancel();
      syncAgain.accept("the API server is ready again");
    }
  }
}
