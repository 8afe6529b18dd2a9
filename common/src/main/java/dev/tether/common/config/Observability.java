package dev.tether.common.config;

/** {@code observability:} how much the agent logs. */
public record Observability(LogLevel loggingLevel, LogLevel grpcLevel) {

  public enum LogLevel { DEBUG, INFO, WARN, ERROR }

  public static Observability defaults() {
    return new Observability(LogLevel.INFO, LogLevel.ERROR);
  }
}
