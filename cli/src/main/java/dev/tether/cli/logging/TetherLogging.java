package dev.tether.cli.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import ch.qos.logback.core.status.NopStatusListener;
import org.slf4j.Logger;

/**
 * The tether program's logging, set up in code: one line per event on stderr, exceptions in one line
 * ({@link OneLineThrowableConverter}), quiet libraries. Logback finds it as a service before it looks
 * for XML. Written in code rather than as a logback.xml because reading XML loads logback's
 * configuration framework and the JDK's XML parser, about 400 classes that an idle agent otherwise
 * keeps for its whole life (a few MiB of its memory). A logback.xml or logback-test.xml on the class
 * path, or {@code -Dlogback.configurationFile}, still wins, so tests and operators can log differently.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_NORMAL_PRIORITY)
public final class TetherLogging extends ContextAwareBase implements Configurator {
  static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %logger{0}: %msg%ex1%n";

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (System.getProperty("logback.configurationFile") != null || onClassPath("logback-test.xml") || onClassPath("logback.xml")) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    apply(context);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /** Configures {@code context} as the program logs, writing to stderr. */
  public static void apply(LoggerContext context) {
    // As the XML's NopStatusListener: logback's own start-up chatter is not the operator's business.
    context.getStatusManager().add(new NopStatusListener());
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(context);
    stderr.setName("STDERR");
    stderr.setTarget("System.err");
    stderr.setEncoder(encoder(context));
    stderr.start();
    context.getLogger("org.eclipse.jetty").setLevel(Level.WARN);
    context.getLogger("io.javalin").setLevel(Level.WARN);
    context.getLogger("io.grpc").setLevel(Level.WARN);
    // The elector logs every failed attempt with the whole API answer; the agent says each cause once (RenewalClock).
    context.getLogger("io.fabric8.kubernetes.client.extended.leaderelection").setLevel(Level.OFF);
    ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.INFO);
    root.addAppender(stderr);
  }

  /** The program's line format: time, level, the logger's simple name, the message and a one-line exception. */
  public static LayoutWrappingEncoder<ILoggingEvent> encoder(LoggerContext context) {
    PatternLayout layout = new PatternLayout();
    layout.setContext(context);
    layout.getInstanceConverterMap().put("ex1", OneLineThrowableConverter::new);
    layout.setPattern(PATTERN);
    layout.start();
    LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
    encoder.setContext(context);
    encoder.setLayout(layout);
    encoder.start();
    return encoder;
  }

  private static boolean onClassPath(String resource) {
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    return (loader != null ? loader : TetherLogging.class.getClassLoader()).getResource(resource) != null;
  }
}
