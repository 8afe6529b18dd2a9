package dev.tether.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class OidcIssuersParserTest {
  private static List<OidcIssuer> parse(String yaml) throws InvalidConfigException {
    return OidcIssuersParser.parse("issuers.yaml", yaml.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void readsIssuersWithAudienceAndOptionalJwksFile() throws Exception {
    assertThat(parse("""
        issuers:
          - issuer: https://gitlab.example.com
            audience: https://tether.example.com
          - issuer: https://token.actions.githubusercontent.com
            audience: tether
            jwks_file: /etc/tether/github-jwks.json
        """)).containsExactly(
        new OidcIssuer(URI.create("https://gitlab.example.com"), "https://tether.example.com", Optional.empty()),
        new OidcIssuer(URI.create("https://token.actions.githubusercontent.com"), "tether",
            Optional.of(Path.of("/etc/tether/github-jwks.json"))));
  }

  @Test
  void anEmptyFileAcceptsNoIssuer() throws Exception {
    assertThat(parse("")).isEmpty();
  }

  @Test
  void everyProblemIsReportedWithItsPath() {
    assertThatThrownBy(() -> parse("""
        issuers:
          - issuer: https://gitlab.example.com
          - audience: tether
          - issuer: ftp://example.com
            audience: tether
          - issuer: https://gitlab.example.com
            audience: tether
            jwks: x
          - issuer: https://b.example.com
            audience: ""
        """)).isInstanceOfSatisfying(InvalidConfigException.class, e -> assertThat(e.errors())
        .extracting(ConfigError::path, ConfigError::message).containsExactlyInAnyOrder(
            tuple("issuers[0]", "'audience' is required: the aud claim your CI jobs ask for, like https://tether.example.com"),
            tuple("issuers[1]", "'issuer' is required: the iss claim of the tokens, like https://gitlab.example.com"),
            tuple("issuers[2].issuer", "'ftp://example.com' is not an issuer URL: give https://host[/path], without query or "
                + "fragment, exactly as the tokens' iss claim says it"),
            tuple("issuers[3].jwks", "unknown key 'jwks'; known keys here: audience, issuer, jwks_file"),
            tuple("issuers[4].audience", "must not be empty")));
  }
}
