package dev.tether.it.support;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import dev.tether.cli.logging.TetherLogging;
import java.net.URL;
import org.slf4j.LoggerFactory;

/**
 * Logs with the product's logback configuration ({@link TetherLogging}, what the tether jar runs
 * with: its logger levels and one-line exceptions) instead of the tests' own, so a test measures what an
 * operator would read. Closing puts the tests' configuration back. Appenders attached before are
 * removed: attach {@link CapturedLogs} after this.
 */
public final class ProductLogging implements AutoCloseable {
  private final LoggerContext context;

  private ProductLogging(LoggerContext context) {
    this.context = context;
  }

  public static ProductLogging apply() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.reset();
    TetherLogging.apply(context);
    return new ProductLogging(context);
  }

  @Override
  public void close() {
    configure(context, "logback-test.xml");
  }

  private static void configure(LoggerContext context, String resource) {
    URL config = ProductLogging.class.getClassLoader().getResource(resource);
    if (config == null) {
      throw new IllegalStateException(resource + " is not on the test classpath");
    }
    context.reset();
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    try {
      configurator.doConfigure(config);
    } catch (JoranException e) {
      throw new IllegalStateException("cannot apply " + config + ": " + e.getMessage(), e);
    }
  }
}
