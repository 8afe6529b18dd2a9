package dev.tether.cli.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import java.io.ByteArrayOutputStream;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class OneLineThrowableConverterTest {

  /** A logger context configured as the program configures its own, writing to a buffer instead of stderr. */
  private static Logger logger(LoggerContext context, ByteArrayOutputStream out) {
    TetherLogging.apply(context);
    @SuppressWarnings("unchecked")
    Encoder<ILoggingEvent> encoder = ((ConsoleAppender<ILoggingEvent>) context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR"))
        .getEncoder();
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
  void logbackFindsTheProgramsConfigurationInCodeWithoutXml() {
    LoggerContext context = new LoggerContext();
    Configurator.ExecutionStatus status = new TetherLogging().configure(context);

    // No logback.xml on this module's class path: the code's configuration is the one, and XML is never read.
    assertThat(status).isEqualTo(Configurator.ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
    assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR")).isNotNull();
    assertThat(context.getLogger("io.grpc").getLevel()).isEqualTo(Level.WARN);
    assertThat(java.util.ServiceLoader.load(Configurator.class).stream().map(p -> p.type().getName()))
        .containsExactly(TetherLogging.class.getName());
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
