package dev.tether.server.events;

import dev.tether.server.ServerContext;
import dev.tether.server.ServerModule;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The event log's background work: folded repeats (an agent reconnecting in a loop) are summed up
 * when their window ends, and all of them at shutdown. The log itself is in the context: every module
 * writes to it.
 */
public final class EventsModule implements ServerModule {
  private final EventLog events;
  private final ScheduledExecutorService summaries = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "event-summaries");
    t.setDaemon(true);
    return t;
  });

  public EventsModule(ServerContext context) {
    this.events = context.events();
  }

  @Override
  public String name() {
    return "events";
  }

  @Override
  public void start() {
    summaries.scheduleWithFixedDelay(events::writeSummaries, 10, 10, TimeUnit.SECONDS);
  }

  @Override
  public void stop() {
    summaries.shutdown();
    try {
      summaries.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    events.flushSummaries();
  }
}
