package dev.tether.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.common.config.ConfigError;
import dev.tether.proto.v1.HookPhase;
import dev.tether.proto.v1.ObjectAction;
import dev.tether.proto.v1.ObjectHealth;
import dev.tether.proto.v1.ObjectResult;
import dev.tether.proto.v1.SyncPhase;
import dev.tether.proto.v1.SyncReport;
import dev.tether.server.git.GitCredentials;
import dev.tether.server.secrets.SecretBox;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every database the server can use must do, run once per database by a subclass: the embedded
 * H2 ({@link H2StoreTest}) and PostgreSQL ({@link PostgresStoreTest}). Each test gets an empty,
 * migrated database.
 */
abstract class StoreContract {
  // Microseconds: both databases keep timestamps to the microsecond.
  static final Instant AT = Instant.parse("2026-12-03T07:00:00.123456Z");

  @TempDir Path dir;
  private Database db;
  private Store store;

  /** An empty database of this kind, migrated to the current schema. */
  abstract Database open(Path dir);

  Database db() {
    if (db == null) {
      db = open(dir);
      store = Store.jdbc(db.dataSource(), SecretBox.fromKeyFile(dir.resolve("secret.key")));
    }
    return db;
  }

  Store store() {
    db();
    return store;
  }

  @AfterEach
  void closeDatabase() {
    if (db != null) {
      db.close();
    }
  }

  private void addProjectAndAgent() {
    store().projects().add(new Project("team/config", "https://git.example.com/team/config.git", new GitCredentials.None(), "hook",
        Optional.empty(), AT));
    store().agents().create(new Agent("prod", "team/config", AT, Optional.empty()));
  }

  @Test
  void projectsKeepTheirSealedCredentialsAndTheLastFetch() {
    store().projects().add(new Project("team/app", "https://git.example.com/team/app.git", new GitCredentials.Token("oauth2", "s3cret"),
        "hook-secret", Optional.of("main"), AT));
    store().projects().add(new Project("team/config", "file:///srv/config", new GitCredentials.None(), "other", Optional.empty(), AT));
    assertThatThrownBy(() -> store().projects().add(new Project("team/app", "x", new GitCredentials.None(), "s", Optional.empty(), AT)))
        .isInstanceOf(AlreadyExistsException.class).hasMessageContaining("team/app");

    Project app = store().projects().find("team/app").orElseThrow();
    assertThat(app.credentials()).isEqualTo(new GitCredentials.Token("oauth2", "s3cret"));
    assertThat(app.webhookSecret()).isEqualTo("hook-secret");
    assertThat(app.defaultBranch()).contains("main");
    assertThat(app.createdAt()).isEqualTo(AT);
    assertThat(store().projects().list()).extracting(Project::id).containsExactly("team/app", "team/config");
    assertThat(store().projects().find("nope")).isEmpty();

    store().projects().recordFetch(new ProjectFetch("team/app", AT, Optional.of(AT), Optional.empty(), Optional.of("main"),
        Optional.of("abc123")));
    store().projects().recordFetch(new ProjectFetch("team/app", AT.plusSeconds(10), Optional.empty(), Optional.of("timed out"),
        Optional.empty(), Optional.empty()));
    ProjectFetch last = store().projects().lastFetch("team/app").orElseThrow();
    assertThat(last.attemptedAt()).isEqualTo(AT.plusSeconds(10));
    assertThat(last.error()).contains("timed out");
    assertThat(last.succeededAt()).as("a failed fetch keeps what the last good one saw").contains(AT);
    assertThat(last.headCommit()).contains("abc123");
  }

  @Test
  void agentsAndTheirTokens() {
    addProjectAndAgent();
    assertThatThrownBy(() -> store().agents().create(new Agent("prod", "team/config", AT, Optional.empty())))
        .isInstanceOf(AlreadyExistsException.class);
    store().connectionActivity().write(java.util.Map.of(), java.util.Map.of("prod", AT.plusSeconds(5)), List.of());
    assertThat(store().agents().find("prod").orElseThrow().lastSeenAt()).contains(AT.plusSeconds(5));
    assertThat(store().agents().usingConfigProject("team/config")).extracting(Agent::name).containsExactly("prod");
    assertThat(store().agents().usingConfigProject("team/other")).isEmpty();

    store().tokens().add(new AgentToken("t-1", "prod", "first", AT, Optional.empty(), Optional.empty()), "digest-1");
    store().tokens().add(new AgentToken("t-2", "prod", "second", AT.plusSeconds(1), Optional.empty(), Optional.empty()), "digest-2");
    assertThat(store().tokens().findByDigest("digest-2").orElseThrow().id()).isEqualTo("t-2");
    assertThat(store().tokens().list(Optional.of("prod"))).extracting(AgentToken::id).containsExactly("t-1", "t-2");
    assertThat(store().tokens().list(Optional.empty())).hasSize(2);

    assertThat(store().tokens().revoke("t-1", AT.plusSeconds(2))).isTrue();
    assertThat(store().tokens().revoke("t-1", AT.plusSeconds(3))).as("already revoked").isFalse();
    assertThat(store().tokens().revoke("t-9", AT)).isFalse();
    store().connectionActivity().write(java.util.Map.of("t-2", AT.plusSeconds(4)), java.util.Map.of(), List.of());
    assertThat(store().tokens().find("t-1").orElseThrow().revokedAt()).contains(AT.plusSeconds(2));
    assertThat(store().tokens().find("t-2").orElseThrow().lastUsedAt()).contains(AT.plusSeconds(4));
  }

  @Test
  void connectionActivityOfManyAgentsIsWrittenInOneTransaction() {
    addProjectAndAgent();
    store().tokens().add(new AgentToken("t-1", "prod", "first", AT, Optional.empty(), Optional.empty()), "digest-1");
    List<EventStore.NewEvent> events = IntStream.range(0, 1500).mapToObj(i -> new EventStore.NewEvent(AT.plusMillis(i), "connection",
        "info", i == 0 ? "prod" : null, null, "Connected " + i, null)).toList();

    store().connectionActivity().write(java.util.Map.of("t-1", AT.plusSeconds(9)), java.util.Map.of("prod", AT.plusSeconds(8)), events);

    assertThat(store().tokens().find("t-1").orElseThrow().lastUsedAt()).contains(AT.plusSeconds(9));
    assertThat(store().agents().find("prod").orElseThrow().lastSeenAt()).contains(AT.plusSeconds(8));
    assertThat(store().events().newest(Optional.empty(), Optional.of("connection"), Optional.empty(), 1000))
        .hasSize(1000).first().extracting(EventStore.Event::message).isEqualTo("Connected 1499");
    assertThat(store().events().newest(Optional.of("prod"), Optional.empty(), Optional.empty(), 10))
        .extracting(EventStore.Event::message).containsExactly("Connected 0");

    // An event the database refuses (an event without a message) rolls the whole batch back.
    List<EventStore.NewEvent> bad = List.of(new EventStore.NewEvent(AT, "connection", "info", null, null, null, null));
    assertThatThrownBy(() -> store().connectionActivity().write(java.util.Map.of("t-1", AT.plusSeconds(20)), java.util.Map.of(), bad))
        .isInstanceOf(StoreException.class);
    assertThat(store().tokens().find("t-1").orElseThrow().lastUsedAt()).contains(AT.plusSeconds(9));
  }

  @Test
  void configStatesKeepTheLastValidFileWhileANewerOneIsInvalid() {
    addProjectAndAgent();
    assertThat(store().configStates().find("prod")).isEmpty();
    byte[] content = "gitops: {}\n".getBytes();
    store().configStates().recordValid("prod", "c1", content, AT);
    store().configStates().recordInvalid("prod", Optional.of("c2"),
        List.of(new ConfigError("config.yaml", 3, 5, "gitops.manifest_projects", "must be a list")), AT.plusSeconds(1));

    ConfigState state = store().configStates().find("prod").orElseThrow();
    assertThat(state.valid()).isFalse();
    assertThat(state.observedCommit()).contains("c2");
    assertThat(state.errors()).extracting(ConfigError::message).containsExactly("must be a list");
    assertThat(state.lastValid().orElseThrow().commit()).isEqualTo("c1");
    assertThat(state.lastValid().orElseThrow().content()).isEqualTo(content);

    store().configStates().recordValid("prod", "c3", "gitops: {manifest_projects: []}\n".getBytes(), AT.plusSeconds(2));
    ConfigState again = store().configStates().find("prod").orElseThrow();
    assertThat(again.valid()).isTrue();
    assertThat(again.errors()).isEmpty();
    assertThat(again.lastValid().orElseThrow().at()).isEqualTo(AT.plusSeconds(2));
  }

  @Test
  void manyReadsAreRecordedAtOnceAndAllStatesLoadInOneQuery() {
    addProjectAndAgent();
    // 2500 agents: more than one JDBC batch; some have a state already (updated), the rest are new (inserted).
    List<String> names = IntStream.range(0, 2500).mapToObj(i -> String.format("a-%04d", i)).toList();
    names.forEach(n -> store().agents().create(new Agent(n, "team/config", AT, Optional.empty())));
    store().configStates().recordValid("a-0000", "c1", new byte[] {1}, AT);
    store().configStates().recordValid("a-0001", "c1", new byte[] {1}, AT);
    List<ConfigError> errors = List.of(new ConfigError("config.yaml", 2, 3, "observability", "unknown key"));
    List<ConfigRead> reads = names.stream().map(n -> n.equals("a-0001") || n.equals("a-2000")
        ? (ConfigRead) new ConfigRead.Invalid(n, "c2", errors) : new ConfigRead.Valid(n, "c2", n.getBytes())).toList();

    store().configStates().recordAll(reads, AT.plusSeconds(1));

    List<ConfigState> all = store().configStates().loadAll();
    assertThat(all).extracting(ConfigState::agentName).containsExactlyElementsOf(names);
    assertThat(all).allSatisfy(state -> assertThat(state.observedCommit()).contains("c2"));
    ConfigState updated = all.get(0);
    assertThat(updated.valid()).isTrue();
    assertThat(updated.lastValid().orElseThrow().content()).isEqualTo("a-0000".getBytes());
    assertThat(updated.lastValid().orElseThrow().at()).isEqualTo(AT.plusSeconds(1));
    ConfigState invalidKeepsValid = all.get(1);
    assertThat(invalidKeepsValid.valid()).isFalse();
    assertThat(invalidKeepsValid.errors()).isEqualTo(errors);
    assertThat(invalidKeepsValid.lastValid().orElseThrow().commit()).isEqualTo("c1");
    ConfigState invalidNew = all.get(2000);
    assertThat(invalidNew.valid()).isFalse();
    assertThat(invalidNew.lastValid()).isEmpty();
    assertThat(all.get(2499).lastValid().orElseThrow().content()).isEqualTo("a-2499".getBytes());
    assertThat(store().configStates().find("a-1234").orElseThrow().lastValid().orElseThrow().content()).isEqualTo("a-1234".getBytes());
  }

  @Test
  void concurrentBatchesOfNewAgentsEndAsOneRowEach() {
    addProjectAndAgent();
    List<String> names = IntStream.range(0, 50).mapToObj(i -> "n-" + i).toList();
    names.forEach(n -> store().agents().create(new Agent(n, "team/config", AT, Optional.empty())));
    // Every batch finds no rows and inserts: all but one collide, roll back, and must update instead.
    List<CompletableFuture<Void>> writers = IntStream.range(0, 4).mapToObj(i -> CompletableFuture.runAsync(() ->
        store().configStates().recordAll(names.stream().map(n -> (ConfigRead) new ConfigRead.Valid(n, "c" + i, new byte[] {(byte) i}))
            .toList(), AT.plusSeconds(i)))).toList();
    writers.forEach(CompletableFuture::join);
    assertThat(store().configStates().loadAll()).hasSize(50).allSatisfy(state -> assertThat(state.valid()).isTrue());
  }

  @Test
  void aBatchOfReadsIsStoredWhollyOrNotAtAll() {
    addProjectAndAgent();
    store().configStates().recordValid("prod", "c1", new byte[] {1}, AT);
    // The second agent does not exist: its insert fails, and the update of the first must roll back with it.
    assertThatThrownBy(() -> store().configStates().recordAll(List.of(new ConfigRead.Valid("prod", "c2", new byte[] {2}),
        new ConfigRead.Valid("no-such-agent", "c2", new byte[] {2})), AT.plusSeconds(1))).isInstanceOf(StoreException.class);
    assertThat(store().configStates().find("prod").orElseThrow().observedCommit()).contains("c1");
  }

  @Test
  void loadAllReadsTheStateOfEveryAgentAtOnce() {
    addProjectAndAgent();
    store().agents().create(new Agent("stage", "team/config", AT, Optional.empty()));
    assertThat(store().configStates().loadAll()).isEmpty();
    store().configStates().recordValid("prod", "c1", "a: 1\n".getBytes(), AT);
    store().configStates().recordInvalid("stage", Optional.of("c2"), List.of(new ConfigError("f", 1, 1, "", "bad")), AT);
    assertThat(store().configStates().loadAll()).extracting(ConfigState::agentName, s -> s.lastValid().map(ConfigState.ValidConfig::commit))
        .containsExactlyInAnyOrder(tuple("prod", Optional.of("c1")), tuple("stage", Optional.empty()));
  }

  @Test
  void concurrentFirstRecordsOfOneAgentEndAsOneRow() {
    addProjectAndAgent();
    // Every writer updates, finds no row, and inserts: all but one insert collide and must update instead.
    List<CompletableFuture<Void>> writers = IntStream.range(0, 8).mapToObj(i -> CompletableFuture.runAsync(() ->
        store().configStates().recordValid("prod", "c" + i, new byte[] {(byte) i}, AT.plusSeconds(i)))).toList();
    writers.forEach(CompletableFuture::join);
    assertThat(store().configStates().find("prod").orElseThrow().valid()).isTrue();
  }

  @Test
  void accessTokensKeepTheirIdentity() {
    store().accessTokens().add(new AccessToken("a-1", "user", Optional.empty(), Optional.empty(), Optional.of("alice"),
        List.of("team/app", "team/web"), List.of("team"), "laptop", AT, Optional.of(AT.plus(30, ChronoUnit.DAYS)), Optional.empty(),
        Optional.empty()), "digest-a");
    store().accessTokens().add(new AccessToken("a-2", "ci", Optional.of("team/app"), Optional.of("production"), Optional.empty(),
        List.of(), List.of(), "deploy job", AT.plusSeconds(1), Optional.empty(), Optional.empty(), Optional.empty()), "digest-b");

    AccessToken alice = store().accessTokens().findByDigest("digest-a").orElseThrow();
    assertThat(alice.userName()).contains("alice");
    assertThat(alice.projects()).containsExactly("team/app", "team/web");
    assertThat(alice.groups()).containsExactly("team");
    assertThat(alice.expiresAt()).contains(AT.plus(30, ChronoUnit.DAYS));
    AccessToken ci = store().accessTokens().find("a-2").orElseThrow();
    assertThat(ci.environment()).contains("production");
    assertThat(ci.projects()).isEmpty();
    assertThat(store().accessTokens().list()).extracting(AccessToken::id).containsExactly("a-1", "a-2");

    store().accessTokens().markUsed("a-2", AT.plusSeconds(7));
    assertThat(store().accessTokens().revoke("a-2", AT.plusSeconds(8))).isTrue();
    assertThat(store().accessTokens().revoke("a-2", AT.plusSeconds(9))).isFalse();
    AccessToken revoked = store().accessTokens().find("a-2").orElseThrow();
    assertThat(revoked.lastUsedAt()).contains(AT.plusSeconds(7));
    assertThat(revoked.revokedAt()).contains(AT.plusSeconds(8));
  }

  @Test
  void eventsNewestFirstFilteredPagedAndTrimmed() {
    for (int i = 0; i < 10; i++) {
      store().events().add(AT.plusSeconds(i), i % 2 == 0 ? "sync" : "connection", "info", i < 5 ? "prod" : "staging", null,
          "event " + i, i == 9 ? "{\"commit\":\"abc\"}" : null);
    }
    List<EventStore.Event> newest = store().events().newest(Optional.empty(), Optional.empty(), Optional.empty(), 3);
    assertThat(newest).extracting(EventStore.Event::message).containsExactly("event 9", "event 8", "event 7");
    assertThat(newest.get(0).details()).contains("{\"commit\":\"abc\"}");
    assertThat(newest.get(0).at()).isEqualTo(AT.plusSeconds(9));
    assertThat(newest.get(1).projectId()).isEmpty();

    assertThat(store().events().newest(Optional.of("prod"), Optional.of("sync"), Optional.empty(), 100))
        .extracting(EventStore.Event::message).containsExactly("event 4", "event 2", "event 0");
    long before = newest.get(2).id();
    assertThat(store().events().newest(Optional.empty(), Optional.empty(), Optional.of(before), 2))
        .extracting(EventStore.Event::message).containsExactly("event 6", "event 5");

    store().events().trim(4);
    assertThat(store().events().newest(Optional.empty(), Optional.empty(), Optional.empty(), 100))
        .extracting(EventStore.Event::message).containsExactly("event 9", "event 8", "event 7", "event 6");
  }

  @Test
  void gitopsReportsPerEntryAndRetainOnly() {
    addProjectAndAgent();
    SyncRecord report = SyncRecord.fromWire(olderAgentsReport());
    store().gitops().record("prod", "team/app", "inv-a", report, AT);
    store().gitops().record("prod", "team/app", "inv-b", report, AT.plusSeconds(1));
    store().gitops().record("prod", "team/app", "inv-a", report, AT.plusSeconds(2));
    assertThat(store().gitops().of("prod")).extracting(s -> s.inventoryId() + "@" + s.updatedAt())
        .containsExactly("inv-a@" + AT.plusSeconds(2), "inv-b@" + AT.plusSeconds(1));

    store().gitops().retainOnly("prod", Set.of(new GitopsStateStore.Entry("team/app", "inv-b")));
    assertThat(store().gitops().of("prod")).extracting(GitopsStateStore.GitopsState::inventoryId).containsExactly("inv-b");
  }

  @Test
  void driftPausesAreKeptUntilResumedAndLeaveWithTheirEntry() {
    addProjectAndAgent();
    assertThat(store().gitops().driftCorrectionPaused("prod", "inv-a")).isFalse();
    store().gitops().pauseDriftCorrection("prod", "inv-a", true, AT);
    store().gitops().pauseDriftCorrection("prod", "inv-a", true, AT.plusSeconds(1));
    store().gitops().pauseDriftCorrection("prod", "inv-b", true, AT);
    assertThat(store().gitops().driftCorrectionPaused("prod", "inv-a")).isTrue();
    assertThat(store().gitops().driftCorrectionPaused("prod", "inv-b")).isTrue();

    store().gitops().pauseDriftCorrection("prod", "inv-a", false, AT.plusSeconds(2));
    assertThat(store().gitops().driftCorrectionPaused("prod", "inv-a")).isFalse();
    assertThat(store().gitops().driftCorrectionPaused("prod", "inv-b")).as("another entry's pause stays").isTrue();

    store().gitops().retainOnly("prod", Set.of(new GitopsStateStore.Entry("team/app", "inv-c")));
    assertThat(store().gitops().driftCorrectionPaused("prod", "inv-b")).as("its entry left the configuration").isFalse();
  }

  /** A report as an agent of the previous version sends it: strings only. */
  private static SyncReport olderAgentsReport() {
    return SyncReport.newBuilder().setCommit("abc123").setPhase("synced").setStartedUnixMillis(1000).setFinishedUnixMillis(1500)
        .setApplied(1).setInventory("ConfigMap apps/inventory")
        .addObjects(ObjectResult.newBuilder().setKind("ConfigMap").setVersion("v1").setNamespace("apps").setName("a")
            .setAction("created").setHealth("Current"))
        .addObjects(ObjectResult.newBuilder().setGroup("apps").setKind("Deployment").setVersion("v1").setNamespace("apps").setName("web")
            .setAction("configured").setHealth("Failed").setMessage("progress deadline exceeded"))
        .build();
  }

  private void insertLegacyRow(byte[] report) throws SQLException {
    addProjectAndAgent();
    try (Connection c = db().dataSource().getConnection(); PreparedStatement s = c.prepareStatement(
        "insert into gitops_states (agent_name, project_id, inventory_id, report, updated_at) values ('prod', 'team/app', 'inv', ?, ?)")) {
      s.setBytes(1, report);
      s.setTimestamp(2, Timestamp.from(AT));
      s.executeUpdate();
    }
  }

  /** Sync reports are stored as the server's own record; rows an older server stored as protobuf bytes still read. */
  @Test
  void aRowStoredAsWireBytesStillReadsAndANewReportReplacesIt() throws SQLException {
    insertLegacyRow(olderAgentsReport().toByteArray());

    SyncRecord legacy = store().gitops().of("prod").get(0).report();
    assertThat(legacy.phase()).isEqualTo(SyncRecord.Phase.SYNCED);
    assertThat(legacy.objects()).extracting(o -> o.action() + "/" + o.health())
        .containsExactly("CREATED/CURRENT", "CONFIGURED/FAILED");
    assertThat(legacy.unhealthy()).extracting(SyncRecord.ObjectRecord::name).containsExactly("web");
    assertThat(legacy.objects()).extracting(SyncRecord.ObjectRecord::hook).as("older agents apply no hooks")
        .containsOnly(SyncRecord.Hook.NONE);

    SyncReport typed = SyncReport.newBuilder(olderAgentsReport()).setCommit("def456").setSyncPhase(SyncPhase.SYNC_PHASE_FAILED)
        .setPhase("failed").setObjects(0, ObjectResult.newBuilder(olderAgentsReport().getObjects(0))
            .setObjectAction(ObjectAction.OBJECT_ACTION_UNCHANGED).setObjectHealth(ObjectHealth.OBJECT_HEALTH_IN_PROGRESS)
            .setHookPhase(HookPhase.HOOK_PHASE_POST_SYNC))
        .build();
    store().gitops().record("prod", "team/app", "inv", SyncRecord.fromWire(typed), AT.plusSeconds(1));

    List<GitopsStateStore.GitopsState> states = store().gitops().of("prod");
    assertThat(states).hasSize(1);
    SyncRecord stored = states.get(0).report();
    assertThat(stored.commit()).isEqualTo("def456");
    assertThat(stored.phase()).isEqualTo(SyncRecord.Phase.FAILED);
    assertThat(stored.objects()).extracting(o -> o.action().apiName() + "/" + o.health().apiName())
        .as("the typed values win over the strings").containsExactly("unchanged/InProgress", "configured/Failed");
    assertThat(stored.objects()).extracting(SyncRecord.ObjectRecord::hook).containsExactly(SyncRecord.Hook.POST_SYNC, SyncRecord.Hook.NONE);
    assertThat(states.get(0).updatedAt()).isEqualTo(AT.plusSeconds(1));

    store().gitops().retainOnly("prod", Set.of());
    assertThat(store().gitops().of("prod")).isEmpty();
  }

  @Test
  void deletingAnAgentRowCascadesToWhatBelongsToIt() throws SQLException {
    addProjectAndAgent();
    store().tokens().add(new AgentToken("t-1", "prod", "first", AT, Optional.empty(), Optional.empty()), "digest-1");
    store().configStates().recordValid("prod", "c1", new byte[] {1}, AT);
    store().gitops().record("prod", "team/app", "inv", SyncRecord.fromWire(olderAgentsReport()), AT);
    try (Connection c = db().dataSource().getConnection(); PreparedStatement s = c.prepareStatement("delete from agents where name = ?")) {
      s.setString(1, "prod");
      s.executeUpdate();
    }
    assertThat(store().tokens().find("t-1")).isEmpty();
    assertThat(store().configStates().find("prod")).isEmpty();
    assertThat(store().gitops().of("prod")).isEmpty();
  }
}
