package dev.tether.it.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.it.support.ConfigProject;
import dev.tether.it.support.TetherHarness;
import dev.tether.proto.v1.AgentConnectionGrpc;
import dev.tether.proto.v1.AgentInfo;
import dev.tether.proto.v1.AgentMessage;
import dev.tether.proto.v1.ServerMessage;
import dev.tether.server.store.DatabaseSettings;
import dev.tether.testkit.postgres.PostgresDatabase;
import dev.tether.testkit.postgres.WithPostgres;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Agents connecting while the server's PostgreSQL cannot answer token lookups (here: a test
 * transaction holds a lock on the tokens table, as a reconnect storm holds every pooled connection):
 * calls with one token share one lookup and all get through once it answers; calls that cannot get a
 * database connection within the pool's timeout are told UNAVAILABLE with a retry-after, never an
 * internal error or a refused token.
 */
@WithPostgres
class BusyDatabaseTest {
  private static final Metadata.Key<String> RETRY_AFTER = Metadata.Key.of("retry-after", Metadata.ASCII_STRING_MARSHALLER);
  // Longer than the pool waits for a connection (10 s), so that lookups that each need one would time out.
  private static final Duration LOCKED_FOR = Duration.ofSeconds(13);

  @Test
  @DisplayName("while token lookups wait on the database: one token's calls share a lookup; calls that find no connection are told to come back")
  void connectsWhileTheDatabaseIsBusy(@TempDir Path dir, PostgresDatabase pg) throws Exception {
    DatabaseSettings.Postgres database = new DatabaseSettings.Postgres(pg.jdbcUrl(), pg.user(), Optional.of(pg.password()));
    try (TetherHarness tether = new TetherHarness(dir, settings -> settings.withDatabase(database))) {
      ConfigProject config = new ConfigProject(dir.resolve("repos"), "config");
      tether.addProject("config", config.repo().bareDir().toString(), Map.of());
      String shared = Files.readString(tether.createAgent("shared", "config")).strip();
      List<String> distinct = new ArrayList<>();
      for (int i = 0; i < 14; i++) {
        distinct.add(Files.readString(tether.createAgent("distinct-" + i, "config")).strip());
      }
      ManagedChannel channel = NettyChannelBuilder.forTarget(tether.agentTarget(),
          TlsChannelCredentials.newBuilder().trustManager(tether.caFile().toFile()).build()).build();
      try {
        // Ten calls with one token (its burst of ten a minute), more than the pool has connections: one lookup, one connection.
        List<CompletableFuture<Status>> sameToken = whileLocked(pg, () -> {
          List<CompletableFuture<Status>> calls = new ArrayList<>();
          for (int i = 0; i < 10; i++) {
            calls.add(connectOnce(channel, shared));
          }
          return calls;
        });
        assertThat(sameToken).extracting(c -> c.get(30, TimeUnit.SECONDS).getCode()).containsOnly(Status.Code.OK);

        // Fourteen tokens: each a lookup of its own; eight connections, so some wait for one longer than the pool allows.
        List<CompletableFuture<Metadata>> trailers = new ArrayList<>();
        List<CompletableFuture<Status>> distinctTokens = whileLocked(pg, () -> {
          List<CompletableFuture<Status>> calls = new ArrayList<>();
          for (String token : distinct) {
            CompletableFuture<Metadata> t = new CompletableFuture<>();
            trailers.add(t);
            calls.add(connectOnce(channel, token, t));
          }
          return calls;
        });
        List<Status> ended = new ArrayList<>();
        for (CompletableFuture<Status> call : distinctTokens) {
          ended.add(call.get(30, TimeUnit.SECONDS));
        }
        assertThat(ended).extracting(Status::getCode).containsOnly(Status.Code.OK, Status.Code.UNAVAILABLE)
            .contains(Status.Code.UNAVAILABLE);
        for (int i = 0; i < ended.size(); i++) {
          if (ended.get(i).getCode() == Status.Code.UNAVAILABLE) {
            assertThat(ended.get(i).getDescription()).contains("the server cannot check the agent token now").contains("try again in 5 s");
            assertThat(trailers.get(i).get(1, TimeUnit.SECONDS).get(RETRY_AFTER)).isEqualTo("5");
          }
        }
        // Once the database answers, the same tokens get in.
        for (String token : distinct) {
          assertThat(connectOnce(channel, token).get(30, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.OK);
        }
      } finally {
        channel.shutdownNow();
      }
    }
  }

  private interface Calls {
    List<CompletableFuture<Status>> start() throws Exception;
  }

  /** Starts the calls while a transaction holds an exclusive lock on the tokens table, and releases it after {@link #LOCKED_FOR}. */
  private static List<CompletableFuture<Status>> whileLocked(PostgresDatabase pg, Calls calls) throws Exception {
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password()); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      s.execute("lock table agent_tokens in access exclusive mode");
      List<CompletableFuture<Status>> started = calls.start();
      Thread.sleep(LOCKED_FOR.toMillis());
      c.rollback();
      return started;
    }
  }

  private static CompletableFuture<Status> connectOnce(ManagedChannel channel, String token) {
    return connectOnce(channel, token, new CompletableFuture<>());
  }

  /** Opens a session as an agent does and closes it once welcomed: OK, or how the server ended it (its trailers to {@code trailers}). */
  private static CompletableFuture<Status> connectOnce(ManagedChannel channel, String token, CompletableFuture<Metadata> trailers) {
    CompletableFuture<Status> outcome = new CompletableFuture<>();
    List<ClientCallStreamObserver<AgentMessage>> upstream = new ArrayList<>(1);
    AgentConnectionGrpc.newStub(channel).withCallCredentials(bearer(token)).withDeadlineAfter(40, TimeUnit.SECONDS)
        .connect(new ClientResponseObserver<AgentMessage, ServerMessage>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<AgentMessage> requestStream) {
            upstream.add(requestStream);
          }

          @Override
          public void onNext(ServerMessage message) {
            if (message.getKindCase() == ServerMessage.KindCase.WELCOME) {
              trailers.complete(new Metadata());
              outcome.complete(Status.OK);
              upstream.get(0).onCompleted();
            }
          }

          @Override
          public void onError(Throwable t) {
            Metadata received = Status.trailersFromThrowable(t);
            trailers.complete(received == null ? new Metadata() : received);
            outcome.complete(Status.fromThrowable(t));
          }

          @Override
          public void onCompleted() {
            outcome.complete(Status.UNAVAILABLE.withDescription("ended without a welcome"));
          }
        });
    upstream.get(0).onNext(AgentMessage.newBuilder().setInfo(AgentInfo.newBuilder().setVersion("busy-database-test")).build());
    return outcome;
  }

  private static CallCredentials bearer(String token) {
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        applier.apply(headers);
      }
    };
  }
}
