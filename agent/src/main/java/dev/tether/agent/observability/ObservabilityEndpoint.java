package dev.tether.agent.observability;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tether.common.metrics.PrometheusMetrics;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The agent's only listener, for the cluster's own tooling: {@code /metrics} for Prometheus,
 * {@code /healthz} for the liveness probe and {@code /readyz} (connected to the server) for the
 * readiness probe. It serves nothing else; work reaches the agent only through its outbound tunnel.
 * The JDK's small HTTP server is enough for three read-only pages and adds no dependency.
 */
public final class ObservabilityEndpoint implements AutoCloseable {
  private final HttpServer server;
  private final java.util.concurrent.ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "observability");
    t.setDaemon(true);
    return t;
  });

  public ObservabilityEndpoint(InetSocketAddress address, PrometheusMetrics metrics, BooleanSupplier connected) {
    try {
      server = HttpServer.create(new InetSocketAddress(address.getHostString(), address.getPort()), 16);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen for metrics on " + address + ": " + e.getMessage(), e);
    }
    server.setExecutor(executor);
    server.createContext("/metrics", exchange -> answer(exchange, 200, PrometheusMetrics.CONTENT_TYPE, metrics.scrape()));
    server.createContext("/healthz", exchange -> answer(exchange, 200, "text/plain", "ok\n"));
    server.createContext("/readyz", exchange -> {
      boolean ready = connected.getAsBoolean();
      answer(exchange, ready ? 200 : 503, "text/plain", ready ? "connected\n" : "not connected to the server\n");
    });
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static void answer(HttpExchange exchange, int status, String contentType, String body) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
        send(exchange, 405, "text/plain", "only GET\n");
      } else if (!path.equals(exchange.getHttpContext().getPath())) {
        send(exchange, 404, "text/plain", "no such page; try /metrics, /healthz or /readyz\n");
      } else {
        send(exchange, status, contentType, body);
      }
    }
  }

  private static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", contentType);
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
