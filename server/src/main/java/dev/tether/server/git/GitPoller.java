package dev.tether.server.git;

import dev.tether.common.metrics.PrometheusMetrics;
import dev.tether.server.events.EventLog;
import dev.tether.server.store.Project;
import dev.tether.server.store.ProjectFetch;
import dev.tether.server.store.ProjectStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the mirrors of the projects features care about up to date: polls each one every
 * {@code pollInterval} and at once when a push webhook arrives, never fetching the same project
 * twice at a time, and tells the features after each successful fetch.
 */
public final class GitPoller implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GitPoller.class);

  /** Told after every fetch of a project: successful (changed or not) or failed. */
  public interface Listener {
    void fetched(Project project, FetchOutcome outcome);

    default void fetchFailed(Project project, String message) {}
  }

  private final ProjectStore projects;
  private final ProjectMirrors mirrors;
  private final Duration pollInterval;
  private final Clock clock;
  private final FetchClaims claims;
  private final EventLog events;
  private final Timer fetchedOk;
  private final Timer fetchFailed;
  private final List<Supplier<Set<String>>> interests = new CopyOnWriteArrayList<>();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final Map<String, Instant> lastStarted = new ConcurrentHashMap<>();
  // The last failure logged per project: a project that stays broken is logged once, not every poll.
  private final Map<String, String> failing = new ConcurrentHashMap<>();
  private volatile boolean closed;
  // A project in here is being fetched; TRUE means another fetch was asked for meanwhile.
  private final Map<String, Boolean> inFlight = new ConcurrentHashMap<>();
  private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "git-poll"));
  private final ThreadPoolExecutor fetchers;

  public GitPoller(ProjectStore projects, ProjectMirrors mirrors, Duration pollInterval, int parallelFetches, Clock clock,
      FetchClaims claims, EventLog events, MeterRegistry meters) {
    this.claims = claims;
    this.projects = projects;
    this.mirrors = mirrors;
    this.pollInterval = pollInterval;
    this.clock = clock;
    this.events = events;
    this.fetchedOk = fetchTimer(meters, "ok");
    this.fetchFailed = fetchTimer(meters, "failed");
    this.fetchers = new ThreadPoolExecutor(parallelFetches, parallelFetches, 60, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(1000), r -> daemon(r, "git-fetch"));
  }

  /** Adds a source of project ids that should be kept fetched. */
  public void keepFetched(Supplier<Set<String>> projectIds) {
    interests.add(projectIds);
  }

  /** The projects kept fetched now. */
  public Set<String> keptFetched() {
    Set<String> wanted = new HashSet<>();
    interests.forEach(i -> wanted.addAll(i.get()));
    return wanted;
  }

  public void addListener(Listener listener) {
    listeners.add(listener);
  }

  public void start() {
    ticker.scheduleWithFixedDelay(this::pollDue, 0, Math.min(1000, pollInterval.toMillis()), TimeUnit.MILLISECONDS);
  }

  /** Fetches a project now (a push webhook arrived); if a fetch is running, another follows it. */
  public void fetchNow(String projectId) {
    submit(projectId);
  }

  private void pollDue() {
    try {
      Set<String> wanted = keptFetched();
      Instant now = clock.instant();
      for (String id : wanted) {
        Instant last = lastStarted.get(id);
        if (last == null || !now.isBefore(last.plus(pollInterval))) {
          if (claims.claim(id, pollInterval)) {
            submit(id);
          } else {
            lastStarted.put(id, now); // another server polls it this interval; ask again after one
          }
        }
      }
    } catch (RuntimeException e) {
      if (closed) {
        return; // stopping: the store may already be gone
      }
      log.error("Git polling round failed; it will run again: {}", e.toString());
    }
  }

  /**
   * Fetches a project now unless a fetch of it is running: for a project that an agent waits for and
   * that was never fetched, so that its first sync does not wait for the next poll round (up to a second).
   */
  public void fetchUnlessRunning(String projectId) {
    if (inFlight.putIfAbsent(projectId, Boolean.FALSE) == null) {
      start(projectId);
    }
  }

  private void submit(String projectId) {
    if (inFlight.putIfAbsent(projectId, Boolean.FALSE) != null) {
      inFlight.put(projectId, Boolean.TRUE);
      return;
    }
    start(projectId);
  }

  /** Runs the fetch loop of a project this caller just marked in flight. */
  private void start(String projectId) {
    lastStarted.put(projectId, clock.instant());
    try {
      fetchers.execute(() -> fetchLoop(projectId));
    } catch (RejectedExecutionException e) {
      inFlight.remove(projectId);
      log.warn("Too many Git fetches queued; project '{}' will be fetched on a later poll", projectId);
    }
  }

  private void fetchLoop(String projectId) {
    while (true) {
      fetchOnce(projectId);
      // Leave the loop unless someone asked for another fetch while this one ran.
      if (inFlight.remove(projectId, Boolean.FALSE)) {
        return;
      }
      inFlight.put(projectId, Boolean.FALSE);
      lastStarted.put(projectId, clock.instant());
    }
  }

  private void fetchOnce(String projectId) {
    Optional<Project> project = projects.find(projectId);
    if (project.isEmpty()) {
      return;
    }
    Instant started = clock.instant();
    try {
      FetchOutcome outcome = mirrors.fetch(project.get());
      fetchedOk.record(Duration.between(started, clock.instant()));
      if (failing.remove(projectId) != null) {
        log.info("Project '{}' can be fetched again", projectId);
        events.info("fetch", null, projectId, "Project '" + projectId + "' can be fetched again");
      }
      projects.recordFetch(new ProjectFetch(projectId, started, Optional.of(clock.instant()), Optional.empty(),
          Optional.of(outcome.defaultBranch()), Optional.of(outcome.headCommit())));
      for (Listener listener : listeners) {
        try {
          listener.fetched(project.get(), outcome);
        } catch (RuntimeException e) {
          log.error("Handling the fetch of project '{}' failed: {}", projectId, e.toString(), e);
        }
      }
    } catch (GitFetchException e) {
      if (closed) {
        return; // cut short by shutdown, not a problem of the project
      }
      fetchFailed.record(Duration.between(started, clock.instant()));
      if (!e.getMessage().equals(failing.put(projectId, e.getMessage()))) {
        log.warn("{} (retrying every {}; logged again only if the error changes)", e.getMessage(), pollInterval);
        events.warning("fetch", null, projectId, e.getMessage());
      }
      projects.recordFetch(new ProjectFetch(projectId, started, Optional.empty(), Optional.of(e.getMessage()),
          Optional.empty(), Optional.empty()));
      for (Listener listener : listeners) {
        try {
          listener.fetchFailed(project.get(), e.getMessage());
        } catch (RuntimeException failure) {
          log.error("Handling the failed fetch of project '{}' failed: {}", projectId, failure.toString(), failure);
        }
      }
    } catch (RuntimeException e) {
      fetchFailed.record(Duration.between(started, clock.instant()));
      log.error("Fetching project '{}' failed unexpectedly: {}", projectId, e.toString(), e);
      projects.recordFetch(new ProjectFetch(projectId, started, Optional.empty(),
          Optional.of("internal error while fetching: " + e), Optional.empty(), Optional.empty()));
    }
  }

  private static Timer fetchTimer(MeterRegistry meters, String result) {
    return Timer.builder("tether.git.fetch").description("Fetches of Git projects (poll, webhook), by result")
        .tag("result", result).serviceLevelObjectives(PrometheusMetrics.WORK_BUCKETS).register(meters);
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  @Override
  public void close() {
    closed = true;
    ticker.shutdownNow();
    fetchers.shutdownNow();
    try {
      // A round or fetch still running would use the store, which closes after this.
      ticker.awaitTermination(10, TimeUnit.SECONDS);
      fetchers.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
