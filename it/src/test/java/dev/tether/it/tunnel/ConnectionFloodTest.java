package dev.tether.it.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.agent.TetherAgent;
import dev.tether.common.token.SecretToken;
import dev.tether.it.support.CapturedLogs;
import dev.tether.it.support.ConfigProject;
import dev.tether.it.support.TetherHarness;
import dev.tether.proto.v1.AgentConnectionGrpc;
import dev.tether.proto.v1.AgentInfo;
import dev.tether.proto.v1.AgentMessage;
import dev.tether.proto.v1.ConfigurationGrpc;
import dev.tether.proto.v1.ServerMessage;
import dev.tether.proto.v1.WatchConfigurationRequest;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connection floods against a real server over real TLS: one agent token dialing in a loop, and a
 * stranger guessing tokens. Each is refused with RESOURCE_EXHAUSTED past its limit, the events feed
 * and the log grow by a handful of lines, and well-behaved agents keep connecting meanwhile.
 */
class ConnectionFloodTest {
  private static final int ATTEMPTS = 200;
  private static final Metadata.Key<String> RETRY_AFTER = Metadata.Key.of("retry-after", Metadata.ASCII_STRING_MARSHALLER);

  @TempDir
  static Path dir;
  static TetherHarness tether;
  static CapturedLogs logs;
  static final List<String> secretsUsed = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    logs = CapturedLogs.attach();
    ConfigProject config = new ConfigProject(dir.resolve("repos"), "config");
    tether = new TetherHarness(dir, Duration.ofMillis(300));
    tether.addProject("config", config.repo().bareDir().toString(), Map.of());
  }

  @AfterAll
  static void stop() {
    tether.close();
    logs.close();
    for (String secret : secretsUsed) {
      assertThat(logs.all()).as("no token may appear in any log line").doesNotContain(secret);
    }
  }

  @Test
  @DisplayName("200 connections with one token: ten get through, the rest are told how long to wait, and the feed grows by a handful")
  void oneTokenInALoop() throws Exception {
    Path loopingToken = newAgent("looping");
    TetherAgent steady = tether.startAgent(newAgent("steady"), Optional.empty());
    await().atMost(Duration.ofSeconds(15)).until(() -> steady.session().isPresent());
    String steadyConnection = steady.session().get().connectionId();
    int eventsBefore = loopEvents("looping").size();

    List<Attempt> attempts = new ArrayList<>();
    TetherAgent newcomer = null;
    ManagedChannel channel = channelFrom("127.0.0.1");
    try {
      for (int i = 0; i < ATTEMPTS; i++) {
        attempts.add(connectOnce(channel, Files.readString(loopingToken).strip()));
        if (i == ATTEMPTS / 2) {
          newcomer = tether.startAgent(newAgent("newcomer"), Optional.empty());
        }
      }
      assertThat(watchConfiguration(channel, Files.readString(loopingToken).strip()))
          .as("the calls within a session are not limited").isNotEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    } finally {
      channel.shutdownNow();
    }

    int accepted = (int) attempts.stream().filter(Attempt::welcomed).count();
    List<Attempt> refused = attempts.stream().filter(a -> a.code() == Status.Code.RESOURCE_EXHAUSTED).toList();
    // The burst of ten, and one more for each 6 s the loop took.
    assertThat(accepted).isBetween(10, 12);
    assertThat(refused).hasSize(ATTEMPTS - accepted);
    assertThat(refused.get(0).status().getDescription()).contains("too many connections with agent token")
        .contains("of agent 'looping'").contains("accepts 10 a minute per token").containsPattern("try again in \\d+ s");
    assertThat(refused).allSatisfy(a -> assertThat(Long.parseLong(a.trailers().get(RETRY_AFTER))).isBetween(1L, 6L));

    TetherAgent arrived = newcomer;
    await().atMost(Duration.ofSeconds(15)).until(() -> arrived.session().isPresent());
    assertThat(steady.session().map(s -> s.connectionId())).as("the steady agent stayed connected").contains(steadyConnection);

    // Three each of connected, disconnected and refused; the rest are being counted.
    await().atMost(Duration.ofSeconds(10)).until(() -> loopEvents("looping").size() - eventsBefore >= 9);
    Thread.sleep(500);
    List<String> written = loopEvents("looping").subList(0, loopEvents("looping").size() - eventsBefore);
    assertThat(written).hasSize(9);
    assertThat(written).filteredOn(m -> m.startsWith("Refused a connection from")).hasSize(3)
        .allMatch(m -> m.contains("accepts 10 a minute per token"));
    assertThat(logs.lines()).filteredOn(l -> l.contains("Refused an agent call") && l.contains("of agent 'looping'"))
        .as("one warning for the first refusal; the rest are counted for a line a minute").hasSize(1);

    tether.restartServer();

    // A server that stops writes what it counted.
    List<String> summed = loopEvents("looping");
    assertThat(summed).anySatisfy(m -> assertThat(m).startsWith("Connected " + (accepted - 3) + " more times in the last")
        .contains("; the last: Connected from 127.0.0.1:"));
    assertThat(summed).anySatisfy(m -> assertThat(m).startsWith("Disconnected " + (accepted - 3) + " more times in the last")
        .contains("; the last: Disconnected: the agent closed the connection"));
    assertThat(summed).anySatisfy(m -> assertThat(m).startsWith("Refused a connection " + (refused.size() - 3) + " more times"));
    assertThat(summed.size() - eventsBefore).as("200 attempts, 12 events").isEqualTo(12);
  }

  @Test
  @DisplayName("a stranger guessing tokens: thirty refusals, then its connections are refused unread; the log has a line, not 200")
  void strangerGuessingTokens() throws Exception {
    int allEventsBefore = tether.api().get("/api/v1/events?limit=500").get("events").size();
    List<Attempt> attempts = new ArrayList<>();
    ManagedChannel stranger = channelFrom("127.0.0.2");
    try {
      for (int i = 0; i < ATTEMPTS; i++) {
        SecretToken guess = SecretToken.generate(SecretToken.Kind.AGENT);
        secretsUsed.add(guess.reveal());
        attempts.add(connectOnce(stranger, guess.reveal()));
      }
    } finally {
      stranger.shutdownNow();
    }

    TetherAgent neighbour = tether.startAgent(newAgent("neighbour"), Optional.empty());
    await().atMost(Duration.ofSeconds(15)).until(() -> neighbour.session().isPresent());

    long unknown = attempts.stream().filter(a -> a.code() == Status.Code.UNAUTHENTICATED).count();
    List<Attempt> refused = attempts.stream().filter(a -> a.code() == Status.Code.RESOURCE_EXHAUSTED).toList();
    assertThat(unknown).isBetween(30L, 32L);
    assertThat(refused).hasSize(ATTEMPTS - (int) unknown);
    assertThat(refused.get(0).status().getDescription()).contains("too many refused agent tokens from 127.0.0.2")
        .contains("more than 30 unknown, revoked or malformed tokens in a minute").containsPattern("try again in \\d+ s");
    assertThat(refused).allSatisfy(a -> assertThat(a.trailers().get(RETRY_AFTER)).isNotNull());

    List<String> warnings = logs.lines().stream().filter(l -> l.contains("Refused an agent call from 127.0.0.2")).toList();
    assertThat(warnings).as("the first refusal for each reason, as it is").hasSize(2);
    assertThat(warnings.get(0)).contains("unknown agent token");
    assertThat(warnings.get(1)).contains("too many refused agent tokens");
    JsonNode newEvents = tether.api().get("/api/v1/events?limit=500").get("events");
    assertThat(newEvents.size() - allEventsBefore).as("the neighbour's creation and connection; strangers write none")
        .isLessThanOrEqualTo(4);
    assertThat(newEvents.toString()).doesNotContain("127.0.0.2");
  }

  @Test
  @DisplayName("an agent refused for connecting too often waits as the server says, logs why, then connects")
  void agentWaitsAsTold() throws Exception {
    Path token = newAgent("impatient");
    ManagedChannel channel = channelFrom("127.0.0.1");
    try {
      for (int i = 0; i < 10; i++) {
        assertThat(connectOnce(channel, Files.readString(token).strip()).welcomed()).isTrue();
      }
    } finally {
      channel.shutdownNow();
    }

    TetherAgent agent = tether.startAgent(token, Optional.empty());

    await().atMost(Duration.ofSeconds(5)).until(() -> agent.lastConnectionProblem().isPresent());
    assertThat(agent.lastConnectionProblem().get()).contains("refused the connection for now")
        .contains("too many connections with agent token");
    assertThat(logs.lines()).anySatisfy(l -> assertThat(l).contains("refused the connection for now").contains("trying again in"));
    await().atMost(Duration.ofSeconds(20)).until(() -> agent.session().isPresent());
  }

  private static Path newAgent(String name) throws Exception {
    Path token = tether.createAgent(name, "config");
    secretsUsed.add(Files.readString(token).strip());
    return token;
  }

  /**
   * The agent's connection events less those about which of its connections applies GitOps: connections of a
   * loop overlap now and then, and those events (folded like the others) depend on that timing.
   */
  private static List<String> loopEvents(String agent) {
    return events(agent).stream().filter(m -> !m.startsWith("Second connection") && !m.startsWith("Connection ")).toList();
  }

  private static List<String> events(String agent) {
    List<String> messages = new ArrayList<>();
    for (JsonNode event : tether.api().get("/api/v1/events?limit=500&agent=" + agent).get("events")) {
      messages.add(event.get("message").asText());
    }
    return messages;
  }

  /** A channel whose connections come from the given loopback address, to stand for another machine. */
  private static ManagedChannel channelFrom(String localAddress) throws Exception {
    return NettyChannelBuilder.forTarget(tether.agentTarget(),
            TlsChannelCredentials.newBuilder().trustManager(tether.caFile().toFile()).build())
        .localSocketPicker(new NettyChannelBuilder.LocalSocketPicker() {
          @Override
          public java.net.SocketAddress createSocketAddress(java.net.SocketAddress remote, io.grpc.Attributes attrs) {
            return new InetSocketAddress(localAddress, 0);
          }
        })
        .build();
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

  /** How one connection attempt ended: OK once welcomed, else the server's status and trailers. */
  private record Attempt(Status status, Metadata trailers) {
    boolean welcomed() {
      return status.isOk();
    }

    Status.Code code() {
      return status.getCode();
    }
  }

  /** Opens a session as an agent does (AgentInfo first, then wait for the welcome) and closes it once welcomed. */
  private static Attempt connectOnce(ManagedChannel channel, String token) throws Exception {
    CompletableFuture<Attempt> outcome = new CompletableFuture<>();
    List<ClientCallStreamObserver<AgentMessage>> upstream = new ArrayList<>(1);
    AgentConnectionGrpc.newStub(channel).withCallCredentials(bearer(token)).withDeadlineAfter(10, TimeUnit.SECONDS)
        .connect(new ClientResponseObserver<AgentMessage, ServerMessage>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<AgentMessage> requestStream) {
            upstream.add(requestStream);
          }

          @Override
          public void onNext(ServerMessage message) {
            if (message.getKindCase() == ServerMessage.KindCase.WELCOME) {
              outcome.complete(new Attempt(Status.OK, new Metadata()));
            }
          }

          @Override
          public void onError(Throwable t) {
            Metadata trailers = Status.trailersFromThrowable(t);
            outcome.complete(new Attempt(Status.fromThrowable(t), trailers == null ? new Metadata() : trailers));
          }

          @Override
          public void onCompleted() {
            outcome.complete(new Attempt(Status.UNAVAILABLE.withDescription("ended without a welcome"), new Metadata()));
          }
        });
    upstream.get(0).onNext(AgentMessage.newBuilder().setInfo(AgentInfo.newBuilder().setVersion("flood")).build());
    Attempt attempt = outcome.get(15, TimeUnit.SECONDS);
    if (attempt.welcomed()) {
      upstream.get(0).onCompleted();
    }
    return attempt;
  }

  /** A configuration stream with the token, as an agent opens within its session: how it ended, or OK while it is open. */
  private static Status.Code watchConfiguration(ManagedChannel channel, String token) {
    try {
      ConfigurationGrpc.newBlockingStub(channel).withCallCredentials(bearer(token)).withDeadlineAfter(2, TimeUnit.SECONDS)
          .watch(WatchConfigurationRequest.getDefaultInstance()).hasNext();
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }
}
