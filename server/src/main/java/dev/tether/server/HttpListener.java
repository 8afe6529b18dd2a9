package dev.tether.server;

import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The plain HTTP listener (API, webhooks, web UI, metrics): modules add their routes while being
 * built, and the server starts it once all are added.
 */
public final class HttpListener {
  private final InetSocketAddress requested;
  private final List<Consumer<JavalinConfig>> parts = new ArrayList<>();
  private Javalin http;

  HttpListener(InetSocketAddress requested) {
    this.requested = requested;
  }

  /** Adds routes, filters or error handlers; they are applied in the order modules add them. */
  public void add(Consumer<JavalinConfig> routes) {
    parts.add(routes);
  }

  void start() {
    http = Javalin.create(cfg -> {
      cfg.startup.showJavalinBanner = false;
      // Without this the JVM lingers for seconds after stop().
      cfg.startup.startupWatcherEnabled = false;
      parts.forEach(part -> part.accept(cfg));
    });
    http.start(requested.getHostString(), requested.getPort());
  }

  /** The base URL, with the port actually bound (useful when 0 was asked for). */
  public String url() {
    if (http == null) {
      throw new IllegalStateException("the HTTP listener has not started yet");
    }
    return "http://" + requested.getHostString() + ":" + http.port();
  }

  void stop() {
    if (http != null) {
      http.stop();
    }
  }
}
