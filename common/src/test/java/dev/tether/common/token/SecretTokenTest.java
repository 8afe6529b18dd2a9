package dev.tether.common.token;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SecretTokenTest {

  @Test
  void generatedTokensCarryTheirPrefixAndEnoughRandomness() throws Exception {
    SecretToken token = SecretToken.generate(SecretToken.Kind.AGENT);

    assertThat(token.reveal()).startsWith("tether-agent-").hasSize("tether-agent-".length() + 43);
    assertThat(SecretToken.generate(SecretToken.Kind.AGENT).reveal()).isNotEqualTo(token.reveal());
    assertThat(SecretToken.parse(SecretToken.Kind.AGENT, token.reveal() + "\n").digest()).isEqualTo(token.digest());
  }

  @Test
  void digestMatchesOnlyTheSameToken() {
    SecretToken token = SecretToken.generate(SecretToken.Kind.AGENT);
    SecretToken other = SecretToken.generate(SecretToken.Kind.AGENT);

    assertThat(token.digest()).startsWith("sha256:").doesNotContain(token.reveal());
    assertThat(token.matches(token.digest())).isTrue();
    assertThat(other.matches(token.digest())).isFalse();
  }

  @Test
  void toStringNeverShowsTheSecret() {
    SecretToken token = SecretToken.generate(SecretToken.Kind.ADMIN);
    assertThat(token.toString()).isEqualTo("tether-admin-…");
  }

  @Test
  void malformedTokensAreRefusedWithoutEchoingThem() {
    assertThatThrownBy(() -> SecretToken.parse(SecretToken.Kind.AGENT, "ghp_somethingElseEntirely"))
        .isInstanceOf(MalformedTokenException.class)
        .hasMessageContaining("start with 'tether-agent-'")
        .hasMessageNotContaining("ghp_");
    assertThatThrownBy(() -> SecretToken.parse(SecretToken.Kind.AGENT, "tether-agent-tooShort"))
        .hasMessageContaining("malformed")
        .hasMessageNotContaining("tooShort");
    assertThatThrownBy(() -> SecretToken.parse(SecretToken.Kind.AGENT, "  "))
        .hasMessage("no token was given");
    String admin = SecretToken.generate(SecretToken.Kind.ADMIN).reveal();
    assertThatThrownBy(() -> SecretToken.parse(SecretToken.Kind.AGENT, admin)).hasMessageContaining("not a Tether agent token");
  }
}
