package dev.tether.server.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.server.store.ChangeNotices;
import dev.tether.server.store.Database;
import dev.tether.server.store.DatabaseSettings;
import dev.tether.testkit.postgres.PostgresDatabase;
import dev.tether.testkit.postgres.WithPostgres;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** "Agent X changed" between two replicas on a real PostgreSQL, gathered into few notices. */
@WithPostgres
class ChangeFeedTest {

  @Test
  void aChangeOnOneReplicaIsHeardOnBothGathered(PostgresDatabase db) throws Exception {
    try (Database database = Database.openPostgres(new DatabaseSettings.Postgres(db.jdbcUrl(), db.user(), Optional.of(db.password())));
        ChangeNotices busA = bus(db, database, "r-a"); ChangeNotices busB = bus(db, database, "r-b");
        ChangeFeed a = new ChangeFeed(Optional.of(busA)); ChangeFeed b = new ChangeFeed(Optional.of(busB))) {
      List<String> heardOnA = new CopyOnWriteArrayList<>();
      List<String> heardOnB = new CopyOnWriteArrayList<>();
      a.listen(heardOnA::add);
      AutoCloseable listeningOnB = b.listen(heardOnB::add);

      for (int i = 0; i < 50; i++) {
        a.changed(i % 2 == 0 ? "prod" : "staging");
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> heardOnB.containsAll(List.of("prod", "staging")));
      await().atMost(Duration.ofSeconds(10)).until(() -> heardOnA.containsAll(List.of("prod", "staging")));
      Thread.sleep(3 * ChangeFeed.GATHER_MILLIS);
      assertThat(heardOnB.size()).as("50 changes of two agents, gathered: %s", heardOnB).isLessThan(10);

      listeningOnB.close();
      a.changed("prod");
      await().atMost(Duration.ofSeconds(10)).until(() -> heardOnA.size() > 2);
      int before = heardOnB.size();
      Thread.sleep(3 * ChangeFeed.GATHER_MILLIS);
      assertThat(heardOnB).as("no longer listening").hasSize(before);
    }
  }

  @Test
  void oneServerAloneTellsAtOnce() {
    try (ChangeFeed feed = new ChangeFeed(Optional.empty())) {
      List<String> heard = new CopyOnWriteArrayList<>();
      feed.listen(heard::add);
      feed.changed("prod");
      feed.changed(null);
      assertThat(heard).containsExactly("prod");
    }
  }

  private static ChangeNotices bus(PostgresDatabase db, Database database, String replica) {
    return new ChangeNotices(() -> DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password()), database.dataSource(), replica,
        Duration.ofMillis(50), Duration.ofMillis(400)).start();
  }
}
