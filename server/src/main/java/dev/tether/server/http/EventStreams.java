package dev.tether.server.http;

import dev.tether.server.events.ChangeFeed;
import io.javalin.http.Context;
import io.javalin.http.sse.SseClient;
import io.javalin.http.sse.SseHandler;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /api/v1/events/stream}: server-sent events that tell the web UI "agent X changed" (a
 * report, an action, a connection) so that it re-reads the page at once instead of polling. The
 * notice carries only the agent's name; the page reads what it shows from the API as before.
 *
 * <p>Why push rather than poll (measured by {@code LiveUpdatesUiTest}, figures in the README's "Web UI"):
 * the page shows a change as soon as the report lands instead of up to one poll interval later, and
 * an idle page costs a heartbeat comment every {@link #HEARTBEAT} instead of requests every 2 s.
 *
 * <p>Streams are capped per server ({@code 503} past the cap, and the page falls back to polling),
 * send a comment every {@link #HEARTBEAT} so that proxies do not cut an idle one (and so that a gone
 * client is noticed), and end when the server stops. Writes go out on a thread of their own, never on
 * the thread that reported the change (a gRPC stream's or the database bus's).
 */
final class EventStreams implements AutoCloseable {
  static final Duration HEARTBEAT = Duration.ofSeconds(15);
  /** Streams one server serves at once: one per open page, each a held connection and a few KB of buffers. */
  static final int MAX_STREAMS = 200;
  private static final Logger log = LoggerFactory.getLogger(EventStreams.class);

  private final int maxStreams;
  private final Set<Stream> open = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService sender = Executors.newScheduledThreadPool(2, r -> {
    Thread t = new Thread(r, "event-streams");
    t.setDaemon(true);
    return t;
  });
  private final AutoCloseable listening;
  private volatile boolean closed;

  /** One browser's stream; {@code agent} narrows it to one agent's changes. */
  private final class Stream {
    final SseClient client;
    final Optional<String> agent;
    // Guarded by this: agents changed since the last send; sending: a send is scheduled.
    final Set<String> changed = new LinkedHashSet<>();
    boolean sending;

    Stream(SseClient client, Optional<String> agent) {
      this.client = client;
      this.agent = agent;
    }

    void changed(String agentName) {
      if (agent.isPresent() && !agent.get().equals(agentName) && !agentName.equals(ChangeFeed.ALL)) {
        return;
      }
      synchronized (this) {
        changed.add(agentName);
        if (sending) {
          return;
        }
        sending = true;
      }
      sender.execute(this::send);
    }

    void send() {
      Set<String> batch;
      synchronized (this) {
        batch = new LinkedHashSet<>(changed);
        changed.clear();
        sending = false;
      }
      synchronized (client) { // one writer at a time: the heartbeat writes to the same stream
        for (String agentName : batch) {
          client.sendEvent("changed", "{\"agent\":\"" + agentName.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}");
        }
      }
      if (client.terminated()) {
        open.remove(this);
      }
    }
  }

  EventStreams(ChangeFeed feed, int maxStreams) {
    this.maxStreams = maxStreams;
    this.listening = feed.listen(agent -> open.forEach(s -> s.changed(agent)));
    sender.scheduleWithFixedDelay(this::heartbeat, HEARTBEAT.toMillis(), HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** A 406 unless the client takes {@code text/event-stream} (EventSource says so; otherwise nothing would be sent). */
  static void requireEventStreamAccepted(Context ctx) {
    String accept = ctx.header("Accept");
    if (accept == null || !accept.contains("text/event-stream")) {
      throw new ApiException(406, "the event stream is text/event-stream: send 'Accept: text/event-stream' (a browser's EventSource does)");
    }
  }

  /** Starts a stream for the request (already authorized), or refuses it with 503 when the server has its fill. */
  void serve(Context ctx, Optional<String> agent) throws Exception {
    requireEventStreamAccepted(ctx);
    if (closed) {
      throw new ApiException(503, "the server is stopping; the page reconnects to another server or falls back to polling");
    }
    if (open.size() >= maxStreams) {
      throw new ApiException(503, "this server already serves " + maxStreams + " live event streams (one per open page); close some "
          + "pages or reach another replica. The page refreshes by polling meanwhile");
    }
    ctx.header("X-Accel-Buffering", "no"); // nginx would otherwise hold the events back
    new SseHandler(client -> {
      Stream stream = new Stream(client, agent);
      client.keepAlive();
      client.onClose(() -> open.remove(stream));
      open.add(stream);
      // The first event says the stream is up: the page stops polling only then.
      client.sendEvent("ready", "{\"heartbeat_seconds\":" + HEARTBEAT.toSeconds() + "}");
    }).handle(ctx);
  }

  int openCount() {
    return open.size();
  }

  private void heartbeat() {
    for (Stream stream : open) {
      synchronized (stream.client) {
        stream.client.sendComment("keep-alive");
      }
      if (stream.client.terminated()) {
        open.remove(stream);
      }
    }
  }

  /** Ends every stream (the browsers reconnect, to another replica or to this one once it is back). */
  @Override
  public void close() {
    closed = true;
    try {
      listening.close();
    } catch (Exception e) {
      log.debug("Stopping to listen for changes failed: {}", e.toString());
    }
    for (Stream stream : open) {
      synchronized (stream.client) {
        stream.client.sendEvent("closing", "{\"reason\":\"the server is stopping\"}");
        stream.client.close();
      }
    }
    open.clear();
    sender.shutdownNow();
  }
}
