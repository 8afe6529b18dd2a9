package dev.tether.testkit.k8s;

import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension: one real control plane per test JVM (started on first use, stopped when the
 * test run ends), a fresh namespace per test. When any test failed, the control plane's logs stay
 * in {@code target/kube-control-plane/logs}; otherwise the folder is removed.
 */
public final class KubernetesExtension implements BeforeEachCallback, AfterEachCallback, ParameterResolver {
  private static final ExtensionContext.Namespace STORE = ExtensionContext.Namespace.create(KubernetesExtension.class);

  /** The JVM's control plane and what the run learned about it. Closed by JUnit at the end of the run. */
  static final class Shared implements AutoCloseable {
    final KubeControlPlane plane;
    final KubernetesClient admin;
    final AtomicBoolean anyTestFailed = new AtomicBoolean();
    private final Thread shutdownHook;

    Shared() {
      Path workDir = Path.of(System.getProperty("tether.test.workdir", "target")).resolve("kube-control-plane");
      plane = KubeControlPlane.start(KubeBinaries.locate(), workDir.toAbsolutePath());
      admin = plane.newAdminClient("default");
      // Should JUnit never get to close us (a crash in the engine), the JVM's exit still does.
      shutdownHook = new Thread(plane::close, "kube-control-plane-stop");
      Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    @Override
    public void close() {
      admin.close();
      plane.close();
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException alreadyShuttingDown) {
        // nothing to undo
      }
      if (anyTestFailed.get()) {
        plane.deleteFilesKeepingLogs();
        System.out.println("[control-plane] stopped; a test failed, so its logs are kept in " + plane.logDir());
      } else {
        plane.deleteAll();
        System.out.println("[control-plane] stopped");
      }
    }
  }

  private record PerTest(TestNamespace namespace, KubernetesClient client) implements AutoCloseable {
    @Override
    public void close() {
      client.close();
    }
  }

  static Shared shared(ExtensionContext context) {
    return context.getRoot().getStore(STORE).computeIfAbsent(Shared.class, k -> new Shared(), Shared.class);
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    Shared shared = shared(context);
    String name = namespaceName(context);
    shared.admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name)
        .addToLabels("tether.dev/test", "true").endMetadata().build()).create();
    context.getStore(STORE).put(PerTest.class,
        new PerTest(new TestNamespace(name), shared.plane.newAdminClient(name)));
  }

  @Override
  public void afterEach(ExtensionContext context) {
    Shared shared = shared(context);
    if (context.getExecutionException().isPresent()) {
      shared.anyTestFailed.set(true);
    }
    PerTest test = context.getStore(STORE).get(PerTest.class, PerTest.class);
    if (test != null) {
      // Not awaited: the namespace controller finishes the deletion while the next test runs.
      shared.admin.namespaces().withName(test.namespace().name())
          .withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == KubeControlPlane.class || type == KubernetesClient.class || type == TestNamespace.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    if (type == KubeControlPlane.class) {
      return shared(context).plane;
    }
    PerTest test = context.getStore(STORE).get(PerTest.class, PerTest.class);
    if (test == null) {
      throw new ParameterResolutionException(type.getSimpleName() + " is made per test; ask for it in a test or"
          + " @BeforeEach method, or use KubeControlPlane in @BeforeAll");
    }
    return type == TestNamespace.class ? test.namespace() : test.client();
  }

  private static String namespaceName(ExtensionContext context) {
    String base = (context.getRequiredTestClass().getSimpleName() + "-"
        + context.getTestMethod().map(m -> m.getName()).orElse("test"))
        .replaceAll("([a-z0-9])([A-Z])", "$1-$2")
        .toLowerCase(Locale.ROOT)
        .replaceAll("[^a-z0-9-]", "-");
    String suffix = Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36 * 36), 36);
    int room = 63 - suffix.length() - 1;
    if (base.length() > room) {
      base = base.substring(0, room);
    }
    return (base.replaceAll("-+$", "") + "-" + suffix).replaceAll("-{2,}", "-");
  }
}
