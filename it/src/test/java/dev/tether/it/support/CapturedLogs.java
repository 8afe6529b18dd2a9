package dev.tether.it.support;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.LoggerFactory;

/**
 * Everything logged in this JVM while attached, message and stack trace, to search for secrets, and
 * each event's logger, level and whether it carried an exception, to count what a failure costs in log
 * lines. Only what the loggers' levels let through arrives here, as it would reach the log.
 */
public final class CapturedLogs extends AppenderBase<ILoggingEvent> implements AutoCloseable {
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final List<Event> events = new CopyOnWriteArrayList<>();

  /**
   * One logged event; {@code thrown} is the exception's type, or null when none was logged, and
   * {@code stackTraceLines} the lines its stack trace takes when printed whole.
   */
  public record Event(long timeMillis, String logger, Level level, String message, String thrown, int stackTraceLines) {
    public boolean hasThrowable() {
      return thrown != null;
    }
  }

  public static CapturedLogs attach() {
    CapturedLogs logs = new CapturedLogs();
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    logs.setContext(context);
    logs.start();
    context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(logs);
    return logs;
  }

  @Override
  protected void append(ILoggingEvent event) {
    String line = event.getLoggerName() + " " + event.getFormattedMessage();
    String stackTrace = event.getThrowableProxy() == null ? "" : ThrowableProxyUtil.asString(event.getThrowableProxy());
    lines.add(stackTrace.isEmpty() ? line : line + "\n" + stackTrace);
    events.add(new Event(event.getTimeStamp(), event.getLoggerName(), event.getLevel(), event.getFormattedMessage(),
        event.getThrowableProxy() == null ? null : event.getThrowableProxy().getClassName(), (int) stackTrace.lines().count()));
  }

  /** The events logged at or after {@code sinceMillis} (epoch milliseconds), in order. */
  public List<Event> eventsSince(long sinceMillis) {
    return events.stream().filter(e -> e.timeMillis() >= sinceMillis).toList();
  }

  public List<String> lines() {
    return List.copyOf(lines);
  }

  public String all() {
    return String.join("\n", lines);
  }

  @Override
  public void close() {
    ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(Logger.ROOT_LOGGER_NAME).detachAppender(this);
    stop();
  }
}
