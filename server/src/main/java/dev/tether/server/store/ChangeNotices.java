package dev.tether.server.store;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the server replicas on one PostgreSQL database that something changed in the store, with
 * LISTEN/NOTIFY. A notice carries ids only (which agent, which project, which token); whoever hears it
 * reads the state itself from the store, so a notice can never carry stale or secret data.
 *
 * <p>One dedicated connection listens, on a daemon thread of its own. PostgreSQL keeps no notices for
 * a session that is gone, so when that connection drops the bus reconnects with backoff and then tells
 * every subscriber it {@linkplain Subscriber#missed() may have missed notices}, so that it re-reads
 * what it keeps or drops its caches.
 */
public final class ChangeNotices implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ChangeNotices.class);

  /** The one channel every replica listens on; a notice's topic is the first word of its payload. */
  static final String CHANNEL = "tether_changes";
  /** PostgreSQL refuses payloads of 8000 bytes or more. */
  static final int MAX_PAYLOAD_BYTES = 7999;
  private static final int WAIT_MILLIS = 250;
  /** A connection that lost its peer silently would wait forever; a query this often finds out. */
  private static final Duration CHECK_EVERY = Duration.ofSeconds(10);

  /** Opens the listening connection: a connection of its own, never one of the pool's. */
  @FunctionalInterface
  public interface ConnectionSource {
    Connection open() throws SQLException;
  }

  /** Hears the notices of one topic. Called on the bus's thread: keep it short, hand long work to an executor. */
  public interface Subscriber {
    /** A replica (perhaps this one, see {@link Notice#fromHere()}) published {@code notice}. */
    void notice(Notice notice);

    /** The bus was disconnected and listens again: notices sent meanwhile are lost; re-read or drop what you keep. */
    void missed();
  }

  /** What a replica published: a topic, the publishing replica, and ids. */
  public record Notice(String topic, String replica, String data, boolean fromHere) {}

  private final ConnectionSource listening;
  private final DataSource publishing;
  private final String replica;
  private final Duration firstBackoff;
  private final Duration maxBackoff;
  private final Map<String, List<Subscriber>> subscribers = new ConcurrentHashMap<>();
  private final CountDownLatch firstConnect = new CountDownLatch(1);
  private final Thread reader;
  private volatile boolean closed;
  private volatile Connection current;
  private volatile boolean listeningNow;

  /**
   * @param replica this replica's id, sent with each notice so that subscribers know their own
   * @param firstBackoff the wait after the first failed connect, doubled after each further one up to {@code maxBackoff};
   *     each wait is half to all of that, at random
   */
  public ChangeNotices(ConnectionSource listening, DataSource publishing, String replica, Duration firstBackoff,
      Duration maxBackoff) {
    if (replica.isBlank() || replica.contains(" ")) {
      throw new IllegalArgumentException("a replica id is one word, not '" + replica + "'");
    }
    this.listening = listening;
    this.publishing = publishing;
    this.replica = replica;
    this.firstBackoff = firstBackoff;
    this.maxBackoff = maxBackoff;
    reader = new Thread(this::run, "change-notices");
    reader.setDaemon(true);
  }

  /** Starts listening; waits a few seconds for the first connection so that the first notices are heard. */
  public ChangeNotices start() {
    reader.start();
    try {
      if (!firstConnect.await(10, TimeUnit.SECONDS)) {
        log.warn("Not listening for changes of other server replicas yet; retrying in the background");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return this;
  }

  public void subscribe(String topic, Subscriber subscriber) {
    checkWord(topic, "topic");
    subscribers.computeIfAbsent(topic, t -> new CopyOnWriteArrayList<>()).add(subscriber);
  }

  /**
   * Tells every replica, this one included, that {@code data} (ids, a few hundred bytes at most) changed.
   * Sent at once (the store commits every statement by itself), so the change is readable when the notice arrives.
   */
  public void publish(String topic, String data) {
    checkWord(topic, "topic");
    String payload = topic + " " + replica + " " + data;
    if (payload.getBytes(StandardCharsets.UTF_8).length > MAX_PAYLOAD_BYTES) {
      throw new IllegalArgumentException("a change notice carries ids, not " + payload.length() + " characters");
    }
    try (Connection c = publishing.getConnection(); PreparedStatement s = c.prepareStatement("select pg_notify(?, ?)")) {
      s.setString(1, CHANNEL);
      s.setString(2, payload);
      s.execute();
    } catch (SQLException e) {
      throw new StoreException("cannot tell the other server replicas that " + topic + " " + data + " changed: " + e.getMessage(), e);
    }
  }

  /** Whether the listening connection is up now (for tests and health). */
  public boolean listening() {
    return listeningNow;
  }

  private void run() {
    Duration backoff = firstBackoff;
    boolean wasConnected = false;
    while (!closed) {
      try (Connection connection = listening.open()) {
        current = connection;
        try (Statement s = connection.createStatement()) {
          s.execute("LISTEN " + CHANNEL);
        }
        listeningNow = true;
        if (wasConnected) {
          log.info("Listening for changes of other server replicas again; re-reading what may have changed meanwhile");
          subscribers.values().forEach(list -> list.forEach(ChangeNotices::tellMissed));
        }
        wasConnected = true;
        backoff = firstBackoff;
        firstConnect.countDown();
        listen(connection);
      } catch (SQLException | RuntimeException e) {
        listeningNow = false;
        if (closed) {
          return;
        }
        Duration pause = jittered(backoff);
        log.warn("Lost the connection that hears changes of other server replicas ({}); reconnecting in {} ms", e.getMessage(),
            pause.toMillis());
        sleep(pause);
        backoff = backoff.multipliedBy(2).compareTo(maxBackoff) > 0 ? maxBackoff : backoff.multipliedBy(2);
      } finally {
        current = null;
      }
    }
  }

  private void listen(Connection connection) throws SQLException {
    PGConnection pg = connection.unwrap(PGConnection.class);
    long nextCheck = System.nanoTime() + CHECK_EVERY.toNanos();
    while (!closed) {
      PGNotification[] notices = pg.getNotifications(WAIT_MILLIS);
      if (notices != null) {
        for (PGNotification notice : notices) {
          deliver(notice.getParameter());
        }
      }
      if (System.nanoTime() - nextCheck > 0) {
        try (Statement s = connection.createStatement()) {
          s.execute("select 1");
        }
        nextCheck = System.nanoTime() + CHECK_EVERY.toNanos();
      }
    }
  }

  private void deliver(String payload) {
    String[] parts = payload.split(" ", 3);
    if (parts.length < 3) {
      log.warn("Ignoring a change notice in an unknown format (a server of another version?): {}", payload);
      return;
    }
    Notice notice = new Notice(parts[0], parts[1], parts[2], parts[1].equals(replica));
    for (Subscriber subscriber : subscribers.getOrDefault(notice.topic(), List.of())) {
      try {
        subscriber.notice(notice);
      } catch (RuntimeException e) {
        log.error("Handling the change notice '{}' failed: {}", payload, e.toString(), e);
      }
    }
  }

  private static void tellMissed(Subscriber subscriber) {
    try {
      subscriber.missed();
    } catch (RuntimeException e) {
      log.error("Re-reading after missed change notices failed: {}", e.toString(), e);
    }
  }

  /** Half to all of {@code backoff}: replicas that lost the database together do not all come back in the same millisecond. */
  private static Duration jittered(Duration backoff) {
    long millis = backoff.toMillis();
    return Duration.ofMillis(millis / 2 + ThreadLocalRandom.current().nextLong(millis / 2 + 1));
  }

  private void sleep(Duration pause) {
    try {
      Thread.sleep(pause.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closed = true;
    }
  }

  private static void checkWord(String word, String what) {
    if (!word.matches("[a-z][a-z0-9-]*")) {
      throw new IllegalArgumentException("a change notice " + what + " is one lowercase word, not '" + word + "'");
    }
  }

  /** Stops listening and closes the listening connection. */
  @Override
  public void close() {
    closed = true;
    reader.interrupt();
    Connection connection = current;
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException e) {
        // closing anyway
      }
    }
    try {
      reader.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
