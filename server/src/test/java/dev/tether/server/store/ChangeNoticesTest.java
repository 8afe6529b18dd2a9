package dev.tether.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.testkit.postgres.PostgresDatabase;
import dev.tether.testkit.postgres.WithPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The change-notice bus on a real PostgreSQL: notices between two replicas, and what happens when the listening connection drops. */
@WithPostgres
class ChangeNoticesTest {
  private PostgresDatabase db;
  private Database database;
  private final List<ChangeNotices> buses = new CopyOnWriteArrayList<>();

  /** What a subscriber heard, in order. */
  private static final class Heard implements ChangeNotices.Subscriber {
    final List<ChangeNotices.Notice> notices = new CopyOnWriteArrayList<>();
    final AtomicInteger missed = new AtomicInteger();

    @Override
    public void notice(ChangeNotices.Notice notice) {
      notices.add(notice);
    }

    @Override
    public void missed() {
      missed.incrementAndGet();
    }

    List<String> data() {
      return notices.stream().map(ChangeNotices.Notice::data).toList();
    }
  }

  @BeforeEach
  void open(PostgresDatabase db) {
    this.db = db;
    database = Database.openPostgres(new DatabaseSettings.Postgres(db.jdbcUrl(), db.user(), Optional.of(db.password())));
  }

  @AfterEach
  void close() {
    buses.forEach(ChangeNotices::close);
    database.close();
  }

  private ChangeNotices bus(String replica, ChangeNotices.ConnectionSource source) {
    ChangeNotices bus = new ChangeNotices(source, database.dataSource(), replica, Duration.ofMillis(50), Duration.ofMillis(400));
    buses.add(bus);
    return bus;
  }

  /** Listening connections named after the replica, so that the test can find and end their sessions. */
  private ChangeNotices.ConnectionSource named(String replica) {
    return () -> {
      Properties p = new Properties();
      p.setProperty("user", db.user());
      p.setProperty("password", db.password());
      p.setProperty("ApplicationName", "listener-" + replica);
      return DriverManager.getConnection(db.jdbcUrl(), p);
    };
  }

  @Test
  void aNoticeReachesEveryReplicaInOrderAndSaysWhoSentIt() {
    ChangeNotices a = bus("a", named("a"));
    ChangeNotices b = bus("b", named("b"));
    Heard atA = new Heard();
    Heard atB = new Heard();
    Heard otherTopic = new Heard();
    a.subscribe("configuration", atA);
    b.subscribe("configuration", atB);
    b.subscribe("project", otherTopic);
    a.start();
    b.start();

    for (int i = 0; i < 50; i++) {
      a.publish("configuration", "agent-" + i);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> atB.notices.size() == 50 && atA.notices.size() == 50);
    assertThat(atB.data()).containsExactlyElementsOf(java.util.stream.IntStream.range(0, 50).mapToObj(i -> "agent-" + i).toList());
    assertThat(atB.notices).allSatisfy(n -> {
      assertThat(n.replica()).isEqualTo("a");
      assertThat(n.fromHere()).isFalse();
    });
    assertThat(atA.notices).allSatisfy(n -> assertThat(n.fromHere()).isTrue());
    assertThat(otherTopic.notices).isEmpty();
    assertThat(atB.missed).hasValue(0);
  }

  @Test
  void afterTheListeningSessionIsKilledTheBusReconnectsAndSaysNoticesMayHaveBeenMissed() throws SQLException {
    ChangeNotices a = bus("a", named("a"));
    ChangeNotices b = bus("b", named("b"));
    Heard atB = new Heard();
    b.subscribe("revocation", atB);
    a.start();
    b.start();
    a.publish("revocation", "before");
    await().atMost(Duration.ofSeconds(5)).until(() -> atB.data().contains("before"));

    // What an operator's pg_terminate_backend, a failover or a network cut does to the session.
    assertThat(terminate("listener-b")).isEqualTo(1);
    await().atMost(Duration.ofSeconds(10)).until(() -> atB.missed.get() == 1 && b.listening());

    a.publish("revocation", "after");
    await().atMost(Duration.ofSeconds(5)).until(() -> atB.data().contains("after"));
    assertThat(atB.missed).hasValue(1);
  }

  @Test
  void whileTheDatabaseCannotBeReachedTheBusRetriesWithGrowingPauses() {
    AtomicInteger attempts = new AtomicInteger();
    List<Long> at = new CopyOnWriteArrayList<>();
    ChangeNotices.ConnectionSource real = named("b");
    ChangeNotices b = bus("b", () -> {
      at.add(System.nanoTime());
      if (attempts.incrementAndGet() <= 4) {
        throw new SQLException("Connection refused", "08001");
      }
      return real.open();
    });
    Heard atB = new Heard();
    b.subscribe("project", atB);
    b.start();
    await().atMost(Duration.ofSeconds(10)).until(b::listening);
    assertThat(attempts).hasValue(5);
    // Pauses of half to all of 50, 100, 200 and 400 ms (the cap): they grow, with jitter.
    long firstPause = (at.get(1) - at.get(0)) / 1_000_000;
    long fourthPause = (at.get(4) - at.get(3)) / 1_000_000;
    assertThat(firstPause).isBetween(25L, 400L);
    assertThat(fourthPause).isBetween(200L, 2_000L);
    // Never connected before: nothing was heard that could have been missed.
    assertThat(atB.missed).hasValue(0);

    bus("a", named("a")).start().publish("project", "x");
    await().atMost(Duration.ofSeconds(5)).until(() -> atB.data().contains("x"));
  }

  @Test
  void noticesCarryIdsNotDocuments() {
    ChangeNotices a = bus("a", named("a")).start();
    assertThatThrownBy(() -> a.publish("configuration", "x".repeat(8000))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("carries ids");
    assertThatThrownBy(() -> a.publish("Configuration Changes", "x")).isInstanceOf(IllegalArgumentException.class);
  }

  private int terminate(String applicationName) throws SQLException {
    try (Connection c = db.connect(); Statement s = c.createStatement();
         var rows = s.executeQuery("select count(pg_terminate_backend(pid)) from pg_stat_activity where application_name = '"
             + applicationName + "'")) {
      rows.next();
      return rows.getInt(1);
    }
  }
}
