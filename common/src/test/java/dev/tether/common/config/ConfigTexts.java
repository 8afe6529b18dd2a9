package dev.tether.common.config;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** The parser's tests' way in: a config.yaml text of agent "prod", parsed or refused. */
final class ConfigTexts {
  static final String FILE = ".gitlab/agents/prod/config.yaml";

  private ConfigTexts() {}

  static AgentConfig parse(String yaml) throws InvalidConfigException {
    return ConfigParser.parse("prod", FILE, yaml.getBytes(StandardCharsets.UTF_8));
  }

  /** The errors of a config the test expects to be refused; fails the test if it is accepted. */
  static List<ConfigError> errorsOf(String yaml) {
    try {
      parse(yaml);
    } catch (InvalidConfigException e) {
      return e.errors();
    }
    throw new AssertionError("expected the config to be rejected:\n" + yaml);
  }
}
