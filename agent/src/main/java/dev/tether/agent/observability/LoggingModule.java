package dev.tether.agent.observability;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import dev.tether.agent.AgentModule;
import dev.tether.common.config.AgentConfig;
import dev.tether.common.config.Observability;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Applies {@code observability.logging}: the agent's log level and that of its gRPC library. */
public final class LoggingModule implements AgentModule {
  private static final Logger log = LoggerFactory.getLogger(LoggingModule.class);
  private Observability applied;

  @Override
  public String name() {
    return "observability";
  }

  @Override
  public void configure(AgentConfig config) {
    Observability wanted = config.observability();
    if (wanted.equals(applied)) {
      return;
    }
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    if (!(factory instanceof LoggerContext logback)) {
      log.warn("observability.logging is ignored: logging is not done by logback here");
      return;
    }
    logback.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(level(wanted.loggingLevel()));
    logback.getLogger("dev.tether").setLevel(level(wanted.loggingLevel()));
    logback.getLogger("io.grpc").setLevel(level(wanted.grpcLevel()));
    applied = wanted;
    log.info("Log level is now {} (gRPC: {})", wanted.loggingLevel(), wanted.grpcLevel());
  }

  private static Level level(Observability.LogLevel level) {
    return Level.toLevel(level.name());
  }
}
