package dev.tether.cli.logging;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.pattern.ThrowableHandlingConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;

/**
 * Prints a logged exception as one line (its type and message, and those of its causes) unless the
 * logger is at debug, where the whole stack trace is printed. A failure that repeats, such as the API
 * server being down for a minute while watches and syncs retry, then costs a line per failure with
 * its reason instead of pages of frames that say nothing to the person running the program.
 */
public final class OneLineThrowableConverter extends ThrowableHandlingConverter {
  private static final int MAX_CAUSES = 5;

  @Override
  public String convert(ILoggingEvent event) {
    IThrowableProxy thrown = event.getThrowableProxy();
    if (thrown == null) {
      return "";
    }
    if (getContext() instanceof LoggerContext loggers && loggers.getLogger(event.getLoggerName()).isDebugEnabled()) {
      return CoreConstants.LINE_SEPARATOR + ThrowableProxyUtil.asString(thrown);
    }
    StringBuilder line = new StringBuilder(" [");
    int depth = 0;
    for (IThrowableProxy t = thrown; t != null && depth < MAX_CAUSES; t = t.getCause(), depth++) {
      if (depth > 0) {
        line.append("; caused by ");
      }
      String type = t.getClassName();
      line.append(type.substring(type.lastIndexOf('.') + 1));
      if (t.getMessage() != null) {
        line.append(": ").append(t.getMessage().replace('\n', ' '));
      }
    }
    return line.append(depth == MAX_CAUSES && thrown.getCause() != null ? "; …]" : "]").toString();
  }
}
