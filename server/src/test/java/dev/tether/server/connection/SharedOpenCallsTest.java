package dev.tether.server.connection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.server.store.ChangeNotices;
import dev.tether.server.store.Database;
import dev.tether.server.store.DatabaseSettings;
import dev.tether.testkit.postgres.PostgresDatabase;
import dev.tether.testkit.postgres.WithPostgres;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Open calls of two replicas on one real PostgreSQL: a revocation on one ends the token's calls on the other. */
@WithPostgres
class SharedOpenCallsTest {
  private Database database;
  private final List<ChangeNotices> buses = new ArrayList<>();

  @BeforeEach
  void open(PostgresDatabase db) {
    database = Database.openPostgres(new DatabaseSettings.Postgres(db.jdbcUrl(), db.user(), Optional.of(db.password())));
  }

  @AfterEach
  void close() {
    buses.forEach(ChangeNotices::close);
    database.close();
  }

  private SharedOpenCalls replica(String id, Set<String> revokedInStore) {
    ChangeNotices notices = new ChangeNotices(database.ownConnections().orElseThrow(), database.dataSource(), id,
        Duration.ofMillis(50), Duration.ofMillis(500));
    buses.add(notices);
    SharedOpenCalls calls = new SharedOpenCalls(notices, revokedInStore::contains);
    notices.start();
    return calls;
  }

  @Test
  void revokingATokenOnOneReplicaEndsItsCallsOnTheOtherWithinASecond() {
    SharedOpenCalls one = replica("r-one", Set.of());
    SharedOpenCalls two = replica("r-two", Set.of());
    List<String> endedAtOne = new CopyOnWriteArrayList<>();
    List<String> endedAtTwo = new CopyOnWriteArrayList<>();
    List<String> heardAtOne = new CopyOnWriteArrayList<>();
    List<String> heardAtTwo = new CopyOnWriteArrayList<>();
    one.onRevocation(heardAtOne::add);
    two.onRevocation(heardAtTwo::add);
    one.register("t-1", endedAtOne::add);
    two.register("t-1", endedAtTwo::add);
    two.register("t-2", endedAtTwo::add);

    long revoked = System.nanoTime();
    one.closeAll("t-1", "agent token t-1 was revoked");
    assertThat(endedAtOne).containsExactly("agent token t-1 was revoked");
    await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(5)).until(() -> !endedAtTwo.isEmpty());
    assertThat(Duration.ofNanos(System.nanoTime() - revoked)).isLessThan(Duration.ofSeconds(1));
    assertThat(endedAtTwo).containsExactly("agent token t-1 was revoked");
    assertThat(heardAtTwo).containsExactly("t-1");
    // Its own notice comes back to replica one too; it acted when it revoked, not twice.
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(1)).until(() -> heardAtOne.size() == 1);
    assertThat(endedAtOne).hasSize(1);
  }

  @Test
  void aReplicaThatMissedNoticesEndsTheCallsOfTokensRevokedMeanwhileAndDropsItsCaches() {
    SharedOpenCalls two = replica("r-two", Set.of("t-revoked"));
    List<String> ended = new CopyOnWriteArrayList<>();
    List<String> heard = new CopyOnWriteArrayList<>();
    two.onRevocation(heard::add);
    two.register("t-revoked", reason -> ended.add("t-revoked: " + reason));
    two.register("t-valid", reason -> ended.add("t-valid: " + reason));

    two.missed();

    assertThat(ended).containsExactly("t-revoked: token t-revoked was revoked");
    assertThat(heard).contains(OpenCalls.ANY_TOKEN);
  }
}
