package dev.tether.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.testkit.postgres.PostgresDatabase;
import dev.tether.testkit.postgres.WithPostgres;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Fetch claims of replicas on a real PostgreSQL: one replica per project and interval, and a claim lapses. */
@WithPostgres
class PostgresFetchClaimsTest {

  private static Database open(PostgresDatabase db) {
    return Database.openPostgres(new DatabaseSettings.Postgres(db.jdbcUrl(), db.user(), Optional.of(db.password())));
  }

  @Test
  void oneReplicaPollsAProjectPerIntervalAndAnotherOnceTheClaimLapses(PostgresDatabase db) {
    try (Database database = open(db)) {
      PostgresFetchClaims a = new PostgresFetchClaims(database.dataSource(), "r-a");
      PostgresFetchClaims b = new PostgresFetchClaims(database.dataSource(), "r-b");
      Duration interval = Duration.ofMillis(800);
      assertThat(a.claim("team/app", interval)).isTrue();
      assertThat(b.claim("team/app", interval)).isFalse();
      assertThat(a.claim("team/app", interval)).as("not twice in one interval, not even by the same replica").isFalse();
      assertThat(b.claim("team/other", interval)).as("claims are per project").isTrue();
      // Replica a is gone without a word: its claim lapses within the interval and b polls next.
      long started = System.nanoTime();
      await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(20)).until(() -> b.claim("team/app", interval));
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThan(Duration.ofMillis(500));
    }
  }

  @Test
  void replicasAskingAtOnceGetOneClaim(PostgresDatabase db) {
    try (Database database = open(db)) {
      List<CompletableFuture<Boolean>> asks = IntStream.range(0, 8).mapToObj(i -> CompletableFuture.supplyAsync(() ->
          new PostgresFetchClaims(database.dataSource(), "r-" + i).claim("team/app", Duration.ofMinutes(1)))).toList();
      assertThat(asks.stream().map(CompletableFuture::join).filter(won -> won)).hasSize(1);
    }
  }

  @Test
  void aStoppingReplicaReleasesItsClaims(PostgresDatabase db) {
    try (Database database = open(db)) {
      PostgresFetchClaims a = new PostgresFetchClaims(database.dataSource(), "r-a");
      PostgresFetchClaims b = new PostgresFetchClaims(database.dataSource(), "r-b");
      assertThat(a.claim("team/app", Duration.ofMinutes(1))).isTrue();
      a.releaseAll();
      assertThat(b.claim("team/app", Duration.ofMinutes(1))).isTrue();
    }
  }
}
