package dev.tether.agent;

import dev.tether.common.json.JsonMappers;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.kubernetes.client.vertx.VertxHttpClientFactory;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one Vert.x instance under all of the agent's Kubernetes clients (GitOps, proxy, cluster
 * version). Given no instance, fabric8's Vert.x client factory starts one per client, each with its
 * own event loops, blocking pool and blocked-thread checker; in an agent pod those threads are
 * memory for nothing. Close it after the clients: they do not close an instance they were given.
 */
final class KubeHttp implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KubeHttp.class);
  private static final String JDK_RESOLVER = "vertx.disableDnsResolver";
  private static final long CLOSE_SECONDS = 5;

  private final Vertx vertx;
  private final HttpClient.Factory factory;

  KubeHttp() {
    vertx = start();
    factory = new VertxHttpClientFactory(vertx);
  }

  /** The factory to build the agent's Kubernetes clients with. */
  HttpClient.Factory factory() {
    return factory;
  }

  /**
   * A Kubernetes client on this instance whose JSON mapper keeps no shared table of field names (see
   * {@link JsonMappers}): informers read objects with thousands of keys alike, as inventories are.
   */
  KubernetesClient client(Config config) {
    return new KubernetesClientBuilder().withHttpClientFactory(factory)
        .withKubernetesSerialization(new KubernetesSerialization(JsonMappers.newMapper(), true)).withConfig(config).build();
  }

  /**
   * An instance as fabric8 starts its own: daemon threads, no file cache or class-path lookups (the
   * clients read no files through Vert.x), and host names resolved by the JDK as everywhere else in
   * the agent, which Vert.x only reads from a system property while it starts.
   */
  private static Vertx start() {
    VertxOptions options = new VertxOptions()
        .setFileSystemOptions(new FileSystemOptions().setFileCachingEnabled(false).setClassPathResolvingEnabled(false))
        .setUseDaemonThread(true);
    String before = System.getProperty(JDK_RESOLVER);
    System.setProperty(JDK_RESOLVER, "true");
    try {
      return Vertx.vertx(options);
    } finally {
      if (before == null) {
        System.clearProperty(JDK_RESOLVER);
      } else {
        System.setProperty(JDK_RESOLVER, before);
      }
    }
  }

  @Override
  public void close() {
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(CLOSE_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      log.debug("Vert.x did not stop cleanly within {} s: {}", CLOSE_SECONDS, e.toString());
    }
  }
}
