package dev.tether.server.connection;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.ManualClock;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ConnectLimitsTest {
  private final ManualClock clock = new ManualClock(Instant.parse("2030-01-01T00:00:00Z"));

  @Test
  void refusalsSayWhichLimitItsValueAndWhenToRetry() {
    ConnectLimits limits = new ConnectLimits(new AgentConnectRates(2, 3), RateLimits.inProcess(clock));
    AgentIdentity agent = new AgentIdentity("edge-1", "tok_123", "10.0.0.1:4000");
    limits.admitToken(agent);
    limits.admitToken(agent);

    ConnectLimits.Refusal perToken = limits.admitToken(agent).orElseThrow();

    assertThat(perToken.message()).contains("agent token tok_123 of agent 'edge-1'").contains("accepts 2 a minute per token")
        .contains("try again in 30 s");
    assertThat(perToken.retryAfterSeconds()).isEqualTo(30);

    assertThat(limits.admitAttempt("10.0.0.1")).as("connections are not counted per address").isEmpty();
    limits.chargeRefusal("10.0.0.1");
    limits.chargeRefusal("10.0.0.1");
    assertThat(limits.admitAttempt("10.0.0.1")).isEmpty();
    limits.chargeRefusal("10.0.0.1");
    ConnectLimits.Refusal perAddress = limits.admitAttempt("10.0.0.1").orElseThrow();
    assertThat(perAddress.message()).contains("too many refused agent tokens from 10.0.0.1")
        .contains("more than 3 unknown, revoked or malformed tokens in a minute").contains("try again in 20 s");
    assertThat(limits.admitAttempt("10.0.0.2")).isEmpty();
  }

  @Test
  void addressesCountByHostAndIpv6ByItsSlash64() throws Exception {
    assertThat(ConnectLimits.limitedAddress(new InetSocketAddress(InetAddress.getByName("192.0.2.7"), 51000))).isEqualTo("192.0.2.7");
    assertThat(ConnectLimits.limitedAddress(new InetSocketAddress(InetAddress.getByName("2001:db8:1:2:aaaa::1"), 443)))
        .isEqualTo(ConnectLimits.limitedAddress(new InetSocketAddress(InetAddress.getByName("2001:db8:1:2:bbbb::9"), 443)))
        .isEqualTo("2001:db8:1:2::/64");
  }

  @Test
  void retryAfterIsWholeSecondsRoundedUp() {
    assertThat(new ConnectLimits.Refusal("m", Duration.ofMillis(5_001)).retryAfterSeconds()).isEqualTo(6);
    assertThat(new ConnectLimits.Refusal("m", Duration.ofMillis(10)).retryAfterSeconds()).isEqualTo(1);
  }
}
