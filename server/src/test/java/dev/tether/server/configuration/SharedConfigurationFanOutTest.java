package dev.tether.server.configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.common.config.ConfigParser;
import dev.tether.server.git.GitCredentials;
import dev.tether.server.secrets.SecretBox;
import dev.tether.server.store.Agent;
import dev.tether.server.store.ChangeNotices;
import dev.tether.server.store.Database;
import dev.tether.server.store.DatabaseSettings;
import dev.tether.server.store.Project;
import dev.tether.server.store.Store;
import dev.tether.testkit.postgres.PostgresDatabase;
import dev.tether.testkit.postgres.WithPostgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two replicas' configuration fan-outs on one real PostgreSQL: a configuration published on one
 * reaches the other's streams within a second, never an older after a newer, and a replica that
 * missed notices catches up.
 */
@WithPostgres
class SharedConfigurationFanOutTest {
  private static final Instant AT = Instant.parse("2026-01-01T00:00:00Z");
  private Database database;
  private Store store;
  private final List<AutoCloseable> open = new ArrayList<>();

  @BeforeEach
  void open(PostgresDatabase db, @TempDir Path dir) {
    database = Database.openPostgres(new DatabaseSettings.Postgres(db.jdbcUrl(), db.user(), Optional.of(db.password())));
    store = Store.jdbc(database.dataSource(), SecretBox.fromKeyFile(dir.resolve("secret.key")));
    store.projects().add(new Project("team/config", "file:///config", new GitCredentials.None(), "hook", Optional.empty(), AT));
    store.agents().create(new Agent("prod", "team/config", AT, Optional.empty()));
  }

  @AfterEach
  void close() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
    database.close();
  }

  private SharedConfigurationFanOut replica(String id) {
    ChangeNotices notices = new ChangeNotices(database.ownConnections().orElseThrow(), database.dataSource(), id,
        Duration.ofMillis(50), Duration.ofMillis(500));
    open.add(notices);
    SharedConfigurationFanOut fanOut = new SharedConfigurationFanOut(store.agents(), store.configStates(), notices);
    open.add(fanOut);
    notices.start();
    return fanOut;
  }

  /** What ConfigurationReader does after reading a valid file: record it, then publish it. */
  private ConfigurationUpdate record(int n) throws Exception {
    byte[] content = ("# commit " + n + "\nobservability: { logging: { level: info } }\n").getBytes(StandardCharsets.UTF_8);
    store.configStates().recordValid("prod", "c" + n, content, AT.plusSeconds(n));
    return new ConfigurationUpdate("prod", "c" + n, "team/config", AgentConfigFiles.path("prod"), content,
        ConfigParser.parse("prod", AgentConfigFiles.path("prod"), content));
  }

  private static int number(ConfigurationUpdate update) {
    return Integer.parseInt(update.commit().substring(1));
  }

  @Test
  void aConfigurationPublishedOnOneReplicaReachesStreamsOnAnotherWithinASecondInOrder() throws Exception {
    SharedConfigurationFanOut one = replica("r-one");
    SharedConfigurationFanOut two = replica("r-two");
    List<ConfigurationUpdate> atTwo = new CopyOnWriteArrayList<>();
    two.subscribe("prod", "", atTwo::add);

    long published = System.nanoTime();
    one.publish(record(1));
    await().atMost(Duration.ofSeconds(1)).until(() -> atTwo.size() == 1);
    assertThat(Duration.ofNanos(System.nanoTime() - published)).isLessThan(Duration.ofSeconds(1));
    assertThat(atTwo.get(0).config().observability()).isNotNull();

    // A burst: replica two may skip some (it reads what the store holds when it hears), never goes back.
    for (int n = 2; n <= 40; n++) {
      one.publish(record(n));
    }
    await().atMost(Duration.ofSeconds(1)).until(() -> number(atTwo.get(atTwo.size() - 1)) == 40);
    List<Integer> seen = atTwo.stream().map(SharedConfigurationFanOutTest::number).toList();
    assertThat(seen).isSorted().doesNotHaveDuplicates();
    assertThat(two.current("prod").map(ConfigurationUpdate::commit)).contains("c40");
  }

  @Test
  void aReplicaThatStartsLaterKnowsTheStoredConfigurationsAndOneThatMissedNoticesCatchesUp() throws Exception {
    SharedConfigurationFanOut one = replica("r-one");
    one.publish(record(1));
    SharedConfigurationFanOut two = replica("r-two");
    assertThat(two.current("prod").map(ConfigurationUpdate::commit)).contains("c1");
    List<ConfigurationUpdate> atTwo = new CopyOnWriteArrayList<>();
    two.subscribe("prod", "c1", atTwo::add);

    // Recorded while replica two heard nothing (its listening connection was down): the bus then says so.
    record(2);
    two.missed();
    await().atMost(Duration.ofSeconds(2)).until(() -> atTwo.size() == 1);
    assertThat(atTwo.get(0).commit()).isEqualTo("c2");
  }

  @Test
  void publishingWhatTheOtherReplicaAlreadyDeliveredSendsNothingNew() throws Exception {
    SharedConfigurationFanOut one = replica("r-one");
    SharedConfigurationFanOut two = replica("r-two");
    List<ConfigurationUpdate> atTwo = new CopyOnWriteArrayList<>();
    two.subscribe("prod", "", atTwo::add);
    ConfigurationUpdate first = record(1);
    one.publish(first);
    await().atMost(Duration.ofSeconds(1)).until(() -> atTwo.size() == 1);
    // Both replicas read the same commit (a fetch each): streams get it once.
    two.publish(first);
    one.publish(first);
    Thread.sleep(300);
    assertThat(atTwo).hasSize(1);
  }
}
