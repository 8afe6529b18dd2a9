package dev.tether.server.configuration;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class ConfigurationHubTest {
  private static ConfigurationUpdate update(String agent, String commit, String content) {
    return new ConfigurationUpdate(agent, commit, "team/config", AgentConfigFiles.path(agent), content.getBytes(StandardCharsets.UTF_8),
        dev.tether.common.config.AgentConfig.empty());
  }

  @Test
  void subscribersGetTheCurrentConfigThenEachChangeOnce() throws Exception {
    ConfigurationHub hub = new ConfigurationHub();
    hub.publish(update("prod", "c1", "a: 1"));
    List<String> seen = new CopyOnWriteArrayList<>();

    AutoCloseable subscription = hub.subscribe("prod", "", u -> seen.add(u.commit()));
    hub.publish(update("prod", "c1", "a: 1"));
    hub.publish(update("prod", "c2", "a: 2"));
    hub.publish(update("staging", "c9", "a: 9"));
    subscription.close();
    hub.publish(update("prod", "c3", "a: 3"));

    assertThat(seen).containsExactly("c1", "c2");
    assertThat(hub.current("prod")).hasValueSatisfying(u -> assertThat(u.commit()).isEqualTo("c3"));
  }

  @Test
  void aSubscriberThatHasTheCurrentCommitIsNotSentItAgain() {
    ConfigurationHub hub = new ConfigurationHub();
    hub.publish(update("prod", "c1", "a: 1"));
    List<String> seen = new CopyOnWriteArrayList<>();

    hub.subscribe("prod", "c1", u -> seen.add(u.commit()));

    assertThat(seen).isEmpty();
  }
}
