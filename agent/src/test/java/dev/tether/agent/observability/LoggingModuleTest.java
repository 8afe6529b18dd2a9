package dev.tether.agent.observability;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import dev.tether.common.config.AgentConfig;
import dev.tether.common.config.Observability;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class LoggingModuleTest {
  @Test
  void setsTheAgentsAndGrpcsLogLevelsFromTheConfig() {
    LoggerContext logback = (LoggerContext) LoggerFactory.getILoggerFactory();
    AgentConfig base = AgentConfig.empty();
    LoggingModule module = new LoggingModule();

    module.configure(new AgentConfig(base.gitops(), base.ciAccess(), base.userAccess(),
        new Observability(Observability.LogLevel.DEBUG, Observability.LogLevel.WARN)));

    assertThat(logback.getLogger("dev.tether").getLevel()).isEqualTo(Level.DEBUG);
    assertThat(logback.getLogger("io.grpc").getLevel()).isEqualTo(Level.WARN);

    module.configure(base);
    assertThat(logback.getLogger("dev.tether").getLevel()).isEqualTo(Level.INFO);
    assertThat(logback.getLogger("io.grpc").getLevel()).isEqualTo(Level.ERROR);
  }
}
