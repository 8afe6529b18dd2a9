package dev.tether.server.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.common.json.JsonMappers;
import dev.tether.server.store.EventStore;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records what happened for the events feed (API, UI): agents connecting and leaving, configuration
 * accepted or refused, fetches failing and recovering, syncs, tokens. Recording never fails the
 * work it describes, and a loop (an agent reconnecting many times a minute) cannot flood the feed:
 * see {@link #infoRepeatable}.
 */
public final class EventLog {
  private static final Logger log = LoggerFactory.getLogger(EventLog.class);
  private static final ObjectMapper JSON = JsonMappers.newMapper();
  private static final int KEEP = 10_000;

  // A reconnect loop is worth a few lines a minute, then one summary per ever longer window.
  static final int VERBATIM_PER_MINUTE = 3;
  private static final int MAX_REPEATING_SUBJECTS = 10_000;

  private final EventStore store;
  private final Clock clock;
  private final AtomicLong sinceTrim = new AtomicLong();
  private final Repeats<Subject> repeats;
  // Repeatable events waiting for the connection activity batch (see deferRepeatable); null: written at once.
  private volatile ConcurrentLinkedQueue<Deferred> deferred;
  private volatile ChangeFeed changes;

  /**
   * Within one batch, this many events of one subject ("Connected") are kept as they are; more are a
   * storm (a server restart has every agent connect within seconds) and are told as one summary, so
   * that a restart of 10,000 agents does not push everything else out of the feed.
   */
  static final int STORM_VERBATIM = 20;

  private record Deferred(Subject subject, EventStore.NewEvent event) {}

  /** What makes two events repeats of each other: one agent, one kind and severity, one subject ("Connected"). */
  private record Subject(String kind, String severity, String agent, String subject) {}

  public EventLog(EventStore store, Clock clock) {
    this.store = store;
    this.clock = clock;
    this.repeats = new Repeats<>(VERBATIM_PER_MINUTE, Duration.ofMinutes(1), Duration.ofHours(1), MAX_REPEATING_SUBJECTS,
        new Subject("events", "warning", null, "Repeated events of many agents"), clock);
  }

  /** Every event about an agent from now on tells {@code feed} that the agent changed (the web UI's live view hears it). */
  public void tellChanges(ChangeFeed feed) {
    this.changes = feed;
  }

  private void touched(String agent) {
    ChangeFeed feed = changes;
    if (feed != null) {
      feed.changed(agent == null ? ChangeFeed.ALL : agent); // a project's or the server's own event may show on any page
    }
  }

  public void info(String kind, String agent, String project, String message) {
    add(kind, "info", agent, project, message, null);
  }

  public void warning(String kind, String agent, String project, String message) {
    add(kind, "warning", agent, project, message, null);
  }

  /**
   * An event that can repeat in a loop, such as an agent connecting: the first few a minute with the
   * same agent, kind and {@code subject} are written as they are, further ones are counted and written
   * as one summary ("Connected 57 more times in the last minute; the last: ...") by {@link #writeSummaries}.
   *
   * @param subject what the message is about without its details, the start of the message ("Connected")
   */
  public void infoRepeatable(String kind, String agent, String subject, String message) {
    repeatable(kind, "info", agent, subject, message);
  }

  /** A warning that can repeat in a loop; see {@link #infoRepeatable}. */
  public void warningRepeatable(String kind, String agent, String subject, String message) {
    repeatable(kind, "warning", agent, subject, message);
  }

  private void repeatable(String kind, String severity, String agent, String subject, String message) {
    touched(agent); // folded or not, a connection that came or went is news for the UI
    Subject key = new Subject(kind, severity, agent, subject);
    if (repeats.admit(key, message)) {
      ConcurrentLinkedQueue<Deferred> later = deferred;
      if (later != null) {
        later.add(new Deferred(key, new EventStore.NewEvent(clock.instant(), kind, severity, agent, null, message, null)));
      } else {
        add(kind, severity, agent, null, message, null);
      }
    }
  }

  /**
   * From now on, repeatable events (connections) wait to be taken by {@link #takeDeferred} and written
   * in the caller's batch rather than one statement each.
   */
  public void deferRepeatable() {
    if (deferred == null) {
      deferred = new ConcurrentLinkedQueue<>();
    }
  }

  /**
   * The repeatable events recorded since the last call, ready to write: of each subject, the first
   * {@link #STORM_VERBATIM} as they are and the rest as one summary without an agent ("Connected: 9,980
   * more agents in this batch"). The agents' own lines stay in the server log.
   */
  public List<EventStore.NewEvent> takeDeferred() {
    ConcurrentLinkedQueue<Deferred> later = deferred;
    if (later == null || later.isEmpty()) {
      return List.of();
    }
    Map<String, List<Deferred>> bySubject = new LinkedHashMap<>();
    for (Deferred d; (d = later.poll()) != null; ) {
      bySubject.computeIfAbsent(d.subject().kind() + "/" + d.subject().severity() + "/" + d.subject().subject(), k -> new ArrayList<>())
          .add(d);
    }
    List<EventStore.NewEvent> events = new ArrayList<>();
    for (List<Deferred> group : bySubject.values()) {
      group.stream().limit(STORM_VERBATIM).forEach(d -> events.add(d.event()));
      if (group.size() > STORM_VERBATIM) {
        Deferred last = group.get(group.size() - 1);
        Subject s = last.subject();
        int more = group.size() - STORM_VERBATIM;
        events.add(new EventStore.NewEvent(last.event().at(), s.kind(), s.severity(), null, null, s.subject() + ": " + more
            + " more agents since " + group.get(STORM_VERBATIM).event().at() + ", as after a server restart (each agent's own line "
            + "is in the server's log); the last: agent '" + s.agent() + "': " + last.event().message(), null));
      }
    }
    long before = sinceTrim.getAndAdd(events.size());
    if (before / 500 != (before + events.size()) / 500) {
      trimQuietly();
    }
    return events;
  }

  private void trimQuietly() {
    try {
      store.trim(KEEP);
    } catch (RuntimeException e) {
      log.warn("Could not trim the events feed: {}", e.toString());
    }
  }

  /** Writes the summaries of repeats whose window has ended; the server calls it every few seconds. */
  public void writeSummaries() {
    write(repeats.ended());
  }

  /** Writes a summary of every repeat counted so far, for a server that stops. */
  public void flushSummaries() {
    // Events the connection module's last batch did not take (it stopped first) are not lost.
    for (EventStore.NewEvent e : takeDeferred()) {
      add(e.kind(), e.severity(), e.agentName(), e.projectId(), e.message(), e.details());
    }
    write(repeats.flush());
  }

  private void write(List<Repeats.Summary<Subject>> summaries) {
    for (Repeats.Summary<Subject> summary : summaries) {
      Subject s = summary.key();
      add(s.kind(), s.severity(), s.agent(), null, s.subject() + " " + summary.count() + (summary.count() == 1 ? " more time " : " more times ")
          + summary.period() + "; the last: " + summary.last(), null);
    }
  }

  /** A finished sync, with the figures the timeline draws. */
  public void sync(String agent, String project, boolean ok, String message, Map<String, Object> details) {
    try {
      add("sync", ok ? "info" : "warning", agent, project, message, JSON.writeValueAsString(details));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private void add(String kind, String severity, String agent, String project, String message, String details) {
    try {
      store.add(clock.instant(), kind, severity, agent, project, message, details);
      touched(agent);
      if (sinceTrim.incrementAndGet() % 500 == 0) {
        store.trim(KEEP);
      }
    } catch (RuntimeException e) {
      log.warn("Could not record the event '{}': {}", message, e.toString());
    }
  }
}
