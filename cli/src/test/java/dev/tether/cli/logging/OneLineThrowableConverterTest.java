package dev.tether.cli.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import java.io.ByteArrayOutputStream;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class OneLineThrowableConverterTest {

  /** A logger context configured from the program's own logback.xml, writing to a buffer instead of stderr. */
  private static Logger logger(LoggerContext context, ByteArrayOutputStream out) throws Exception {
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(OneLineThrowableConverterTest.class.getResource("/logback.xml"));
    PatternLayoutEncoder encoder = (PatternLayoutEncoder) ((ch.qos.logback.core.ConsoleAppender<?>) context.getLogger(
        Logger.ROOT_LOGGER_NAME).getAppender("STDERR")).getEncoder();
    ch.qos.logback.core.AppenderBase<ch.qos.logback.classic.spi.ILoggingEvent> buffer = new ch.qos.logback.core.AppenderBase<>() {
      @Override
      protected void append(ch.qos.logback.classic.spi.ILoggingEvent event) {
        out.writeBytes(encoder.encode(event));
      }
    };
    buffer.setContext(context);
    buffer.start();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.detachAndStopAllAppenders();
    root.addAppender(buffer);
    return context.getLogger("dev.tether.agent.gitops.ProjectWorker");
  }

  private static Exception failure() {
    return new IllegalStateException("sync failed", new ConnectException("Connection refused"));
  }

  @Test
  void anExceptionIsOneLineWithItsCauses() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Logger log = logger(new LoggerContext(), out);

    log.warn("gitops team/app: sync failed", failure());

    String printed = out.toString(StandardCharsets.UTF_8);
    assertThat(printed.lines()).hasSize(1);
    assertThat(printed).contains("sync failed [IllegalStateException: sync failed; caused by ConnectException: Connection refused]");
  }

  @Test
  void atDebugTheStackTraceIsPrinted() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    LoggerContext context = new LoggerContext();
    Logger log = logger(context, out);
    context.getLogger("dev.tether").setLevel(Level.DEBUG);

    log.warn("gitops team/app: sync failed", failure());

    String printed = out.toString(StandardCharsets.UTF_8);
    assertThat(printed.lines().count()).isGreaterThan(3);
    assertThat(printed).contains("at dev.tether.cli.logging.OneLineThrowableConverterTest.failure");
  }
}
