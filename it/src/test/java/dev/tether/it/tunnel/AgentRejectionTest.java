package dev.tether.it.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.agent.TetherAgent;
import dev.tether.common.tls.CertificateAuthority;
import dev.tether.common.token.SecretToken;
import dev.tether.it.support.CapturedLogs;
import dev.tether.it.support.ConfigProject;
import dev.tether.it.support.TetherHarness;
import dev.tether.proto.v1.ConfigurationGrpc;
import dev.tether.proto.v1.ConfigurationUpdate;
import dev.tether.proto.v1.WatchConfigurationRequest;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Wrong, revoked and malformed tokens, plaintext clients and untrusted certificates: refused, explained, and harmless. */
class AgentRejectionTest {
  @TempDir
  static Path dir;
  static TetherHarness tether;
  static ConfigProject config;
  static CapturedLogs logs;
  static final List<String> secretsUsed = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    logs = CapturedLogs.attach();
    config = new ConfigProject(dir.resolve("repos"), "config");
    tether = new TetherHarness(dir, Duration.ofMillis(300));
    tether.addProject("config", config.repo().bareDir().toString(), Map.of());
    secretsUsed.add(Files.readString(tether.server().adminTokenFile()).strip());
  }

  @AfterAll
  static void stop() {
    tether.close();
    logs.close();
    assertThat(logs.lines()).as("log lines were captured").isNotEmpty();
    for (String secret : secretsUsed) {
      assertThat(logs.all()).as("no token may appear in any log line").doesNotContain(secret);
    }
  }

  private static Path newAgent(String name) throws Exception {
    Path token = tether.createAgent(name, "config");
    secretsUsed.add(Files.readString(token).strip());
    return token;
  }

  /** A raw gRPC call with whatever authorization the test wants, as a hostile or broken client would make. */
  private static StatusRuntimeException rawCall(String authorization) throws Exception {
    ManagedChannel channel = NettyChannelBuilder.forTarget(tether.agentTarget(),
        TlsChannelCredentials.newBuilder().trustManager(tether.caFile().toFile()).build()).build();
    try {
      Iterator<ConfigurationUpdate> updates = ConfigurationGrpc.newBlockingStub(channel)
          .withCallCredentials(new CallCredentials() {
            @Override
            public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
              Metadata headers = new Metadata();
              headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), authorization);
              applier.apply(headers);
            }
          })
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .watch(WatchConfigurationRequest.getDefaultInstance());
      return org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class, updates::hasNext);
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  @DisplayName("an unknown token is refused with a message saying so, and the agent keeps retrying slowly")
  void unknownToken() {
    SecretToken stranger = SecretToken.generate(SecretToken.Kind.AGENT);
    secretsUsed.add(stranger.reveal());
    TetherAgent agent = tether.startAgent(tether.writeToken("stranger", stranger.reveal()), Optional.empty());

    await().atMost(Duration.ofSeconds(15)).until(() -> agent.lastConnectionProblem().isPresent());
    assertThat(agent.lastConnectionProblem().get()).contains("the server refused the agent token")
        .contains("unknown agent token").doesNotContain(stranger.reveal());
    assertThat(agent.session()).isEmpty();
  }

  @Test
  @DisplayName("malformed tokens are refused by the server before any lookup, and by the agent before it dials")
  void malformedTokens() throws Exception {
    assertThat(rawCall("Bearer ghp_notOurs1234567890").getStatus().getDescription())
        .contains("not a Tether agent token").doesNotContain("ghp_");
    assertThat(rawCall("Bearer tether-agent-short").getStatus().getDescription()).contains("malformed");
    assertThat(rawCall("Basic dXNlcjpwYXNz").getStatus().getDescription()).contains("no agent token");
    assertThat(rawCall("Bearer tether-agent-short").getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);

    Path garbage = tether.writeToken("garbage", "not a token at all");
    assertThatThrownBy(() -> tether.startAgent(garbage, Optional.empty()))
        .hasMessageContaining("does not hold an agent token").hasMessageNotContaining("not a token at all");
  }

  @Test
  @DisplayName("revoking a token ends its connections at once with the reason; the agent's other token keeps working")
  void revokedTokenDisconnects() throws Exception {
    Path first = newAgent("rotating");
    JsonNode second = tether.api().post("/api/v1/agents/rotating/tokens", Map.of("description", "rotation"));
    secretsUsed.add(second.get("secret").asText());
    TetherAgent old = tether.startAgent(first, Optional.empty());
    TetherAgent rotated = tether.startAgent(tether.writeToken("rotated", second.get("secret").asText()), Optional.empty());
    await().atMost(Duration.ofSeconds(15)).until(() -> old.session().isPresent() && rotated.session().isPresent());
    String oldTokenId = tether.api().get("/api/v1/agents/rotating/tokens").get(0).get("id").asText();

    JsonNode revoked = tether.api().delete("/api/v1/tokens/" + oldTokenId);

    assertThat(revoked.get("state").asText()).isEqualTo("revoked");
    await().atMost(Duration.ofSeconds(10)).until(() -> old.session().isEmpty());
    await().atMost(Duration.ofSeconds(10)).until(() -> old.lastConnectionProblem().orElse("").contains("was revoked"));
    assertThat(rotated.session()).isPresent();
    await().atMost(Duration.ofSeconds(5)).until(() -> tether.agentStatus("rotating").get("connections").size() == 1);
    assertThat(tether.api().send("DELETE", "/api/v1/tokens/" + oldTokenId, null,
        Map.of("Authorization", "Bearer " + secretsUsed.get(0))).status()).isEqualTo(409);
  }

  @Test
  @DisplayName("token rotation in place: with the new token in its file, the agent reconnects with it once the old one is revoked")
  void rotatedTokenIsReadFromItsFile() throws Exception {
    Path file = newAgent("rotated-in-place");
    TetherAgent agent = tether.startAgent(file, Optional.empty());
    await().atMost(Duration.ofSeconds(15)).until(() -> agent.session().isPresent());
    String oldTokenId = tether.api().get("/api/v1/agents/rotated-in-place/tokens").get(0).get("id").asText();
    JsonNode fresh = tether.api().post("/api/v1/agents/rotated-in-place/tokens", Map.of("description", "rotation"));
    secretsUsed.add(fresh.get("secret").asText());
    String freshId = fresh.get("token").get("id").asText();
    // What the kubelet does to a mounted Secret that was updated.
    Files.writeString(file, fresh.get("secret").asText() + "\n");

    tether.api().delete("/api/v1/tokens/" + oldTokenId);

    // Well within the 30 s a refused token would wait: the file holds a new token, worth trying at once.
    await().atMost(Duration.ofSeconds(10)).until(() -> agent.session().isPresent() && tokenLastUsed(freshId));
    assertThat(tether.agentStatus("rotated-in-place").get("connections")).hasSize(1);
  }

  private static boolean tokenLastUsed(String id) {
    for (JsonNode t : tether.api().get("/api/v1/agents/rotated-in-place/tokens")) {
      if (t.get("id").asText().equals(id)) {
        return t.hasNonNull("last_used_at");
      }
    }
    return false;
  }

  @Test
  @DisplayName("a plaintext client on the TLS port fails and the server keeps serving real agents")
  void plaintextClientIsHarmless() throws Exception {
    ManagedChannel plaintext = NettyChannelBuilder.forTarget(tether.agentTarget()).usePlaintext().build();
    try {
      StatusRuntimeException error = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class, () ->
          ConfigurationGrpc.newBlockingStub(plaintext).withDeadlineAfter(5, TimeUnit.SECONDS)
              .watch(WatchConfigurationRequest.getDefaultInstance()).hasNext());
      assertThat(error.getStatus().getCode()).isIn(Status.Code.UNAVAILABLE, Status.Code.INTERNAL, Status.Code.DEADLINE_EXCEEDED);
    } finally {
      plaintext.shutdownNow();
    }

    TetherAgent agent = tether.startAgent(newAgent("after-plaintext"), Optional.empty());
    await().atMost(Duration.ofSeconds(15)).until(() -> agent.configuration().isPresent());
  }

  @Test
  @DisplayName("an agent that does not trust the server's certificate says so and names the fix")
  void untrustedCertificate() throws Exception {
    Path otherCa = dir.resolve("other-ca.crt");
    Files.writeString(otherCa, CertificateAuthority.create("someone else's CA", Duration.ofDays(1)).certificatePem());

    TetherAgent agent = tether.startAgent(newAgent("suspicious"), otherCa, Optional.empty());

    await().atMost(Duration.ofSeconds(15)).until(() -> agent.lastConnectionProblem().isPresent());
    assertThat(agent.lastConnectionProblem().get())
        .contains("not signed by a CA the agent trusts")
        .contains(otherCa.toString())
        .contains("--ca-file");
    assertThat(agent.session()).isEmpty();
    assertThat(tether.agentStatus("suspicious").get("connected").asBoolean()).isFalse();
  }

  @Test
  @DisplayName("an agent pointed at the HTTP port instead of the agent port is told so")
  void wrongPort() throws Exception {
    Path token = newAgent("confused");
    String httpPort = tether.server().httpUrl().substring(tether.server().httpUrl().lastIndexOf(':') + 1);
    TetherAgent agent = new TetherAgent(new dev.tether.agent.AgentSettings("127.0.0.1:" + httpPort, token,
        Optional.of(tether.caFile()), Optional.empty(), Duration.ofSeconds(1), Optional.empty(), false)).start();
    try {
      await().atMost(Duration.ofSeconds(15)).until(() -> agent.lastConnectionProblem().isPresent());
      assertThat(agent.lastConnectionProblem().get()).contains("did not answer with TLS");
    } finally {
      agent.close();
    }
  }
}
