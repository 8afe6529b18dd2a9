package dev.tether.agent.connection;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Metadata;
import io.grpc.Status;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConnectionProblemTest {
  private static final Metadata.Key<String> RETRY_AFTER = Metadata.Key.of("retry-after", Metadata.ASCII_STRING_MARSHALLER);

  private static ConnectionProblem refused(String retryAfter) {
    Metadata trailers = new Metadata();
    if (retryAfter != null) {
      trailers.put(RETRY_AFTER, retryAfter);
    }
    return ConnectionProblem.of(Status.RESOURCE_EXHAUSTED.withDescription("too many connections with agent token tok_1; try again in 6 s")
        .asRuntimeException(trailers), "tether.example.com:8443", "the system CAs");
  }

  @Test
  void aRateLimitedConnectionSaysSoWithTheServersWordsAndHint() {
    ConnectionProblem problem = refused("6");

    assertThat(problem.kind()).isEqualTo(ConnectionProblem.Kind.RATE_LIMITED);
    assertThat(problem.message()).contains("tether.example.com:8443 refused the connection for now")
        .contains("too many connections with agent token tok_1");
    assertThat(problem.retryAfter()).contains(Duration.ofSeconds(6));
  }

  @Test
  void aMissingOrBogusHintIsIgnoredAndAHugeOneCapped() {
    assertThat(refused(null).retryAfter()).isEmpty();
    assertThat(refused("soon").retryAfter()).isEmpty();
    assertThat(refused("-5").retryAfter()).isEmpty();
    assertThat(refused("86400").retryAfter()).contains(Duration.ofMinutes(10));
  }

  @Test
  void theAgentWaitsAtLeastTheHintWithJitterButNeverLessThanItsOwnBackoff() {
    for (int i = 0; i < 100; i++) {
      assertThat(ReconnectPolicy.waitAtLeast(Duration.ofSeconds(8), Duration.ofSeconds(2)).toMillis()).isBetween(8_000L, 10_000L);
    }
    assertThat(ReconnectPolicy.waitAtLeast(Duration.ofSeconds(1), Duration.ofSeconds(30))).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void aServerWhoseDatabaseIsBusyIsWaitedForAsLongAsItSays() {
    Metadata trailers = new Metadata();
    trailers.put(RETRY_AFTER, "5");
    ConnectionProblem problem = ConnectionProblem.of(Status.UNAVAILABLE.withDescription("the server cannot check the agent token now")
        .asRuntimeException(trailers), "tether.example.com:8443", "the system CAs");

    assertThat(problem.message()).contains("tether.example.com:8443 cannot take the connection now")
        .contains("cannot check the agent token now");
    assertThat(problem.retryAfter()).contains(Duration.ofSeconds(5));
    ReconnectPolicy policy = ReconnectPolicy.forAgent();
    for (int i = 0; i < 3; i++) {
      assertThat(policy.after(false, problem, false).toMillis()).isGreaterThanOrEqualTo(5_000L);
    }
  }

  @Test
  void anUnreachableServerWithoutAHintIsRetriedAtTheAgentsOwnPace() {
    ConnectionProblem problem = ConnectionProblem.of(Status.UNAVAILABLE.withDescription("io exception").asRuntimeException(),
        "tether.example.com:8443", "the system CAs");

    assertThat(problem.kind()).isEqualTo(ConnectionProblem.Kind.UNREACHABLE);
    assertThat(problem.retryAfter()).isEmpty();
  }
}
