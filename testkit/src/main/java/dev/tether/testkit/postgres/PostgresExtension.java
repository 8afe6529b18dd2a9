package dev.tether.testkit.postgres;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension: one real PostgreSQL per test JVM (started on first use, stopped when the test
 * run ends or, failing that, when the JVM exits), a fresh database per test, dropped after it.
 */
public final class PostgresExtension implements BeforeEachCallback, AfterEachCallback, ParameterResolver {
  private static final ExtensionContext.Namespace STORE = ExtensionContext.Namespace.create(PostgresExtension.class);

  /** The JVM's PostgreSQL. Closed by JUnit at the end of the run. */
  static final class Shared implements AutoCloseable {
    final PostgresServer server;
    private final Thread shutdownHook;

    Shared() {
      Path logDir = Path.of(System.getProperty("tether.test.workdir", "target")).resolve("postgres").toAbsolutePath();
      long began = System.nanoTime();
      server = PostgresServer.start(PostgresBinaries.locate(), logDir);
      System.out.printf("[postgres] ready on 127.0.0.1:%d in %d ms (log %s)%n", server.port(), (System.nanoTime() - began) / 1_000_000,
          server.log());
      shutdownHook = new Thread(server::close, "postgres-stop");
      Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    @Override
    public void close() {
      server.close();
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException alreadyShuttingDown) {
        // the hook runs anyway, and close is safe twice
      }
      System.out.println("[postgres] stopped");
    }
  }

  static Shared shared(ExtensionContext context) {
    return context.getRoot().getStore(STORE).computeIfAbsent(Shared.class, k -> new Shared(), Shared.class);
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    context.getStore(STORE).put(PostgresDatabase.class, shared(context).server.createDatabase(databaseName(context)));
  }

  @Override
  public void afterEach(ExtensionContext context) {
    PostgresDatabase database = context.getStore(STORE).remove(PostgresDatabase.class, PostgresDatabase.class);
    if (database != null) {
      shared(context).server.dropDatabase(database.name());
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == PostgresDatabase.class || type == PostgresServer.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    if (parameter.getParameter().getType() == PostgresServer.class) {
      return shared(context).server;
    }
    PostgresDatabase database = context.getStore(STORE).get(PostgresDatabase.class, PostgresDatabase.class);
    if (database == null) {
      throw new ParameterResolutionException("a PostgresDatabase is made per test; ask for it in a test or @BeforeEach method,"
          + " or use PostgresServer in @BeforeAll");
    }
    return database;
  }

  private static String databaseName(ExtensionContext context) {
    String base = (context.getRequiredTestClass().getSimpleName() + "_" + context.getTestMethod().map(m -> m.getName()).orElse("test"))
        .replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    String suffix = Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36 * 36), 36);
    return base.substring(0, Math.min(base.length(), 63 - suffix.length() - 1)) + "_" + suffix;
  }
}
