package dev.tether.server;

import dev.tether.common.TetherVersion;
import io.javalin.Javalin;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The Tether server process: its listeners and their lifecycle. */
public final class TetherServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TetherServer.class);

  private final ServerSettings settings;
  private Javalin http;

  public TetherServer(ServerSettings settings) {
    this.settings = settings;
  }

  public TetherServer start() throws IOException {
    Files.createDirectories(settings.dataDir());
    http = Javalin.create(cfg -> {
      cfg.startup.showJavalinBanner = false;
      // Without this the JVM lingers for seconds after stop().
      cfg.startup.startupWatcherEnabled = false;
      cfg.routes.get("/healthz", ctx -> ctx.result("ok"));
      cfg.routes.get("/api/v1/version", ctx -> ctx.json(Map.of("version", TetherVersion.get())));
    });
    InetSocketAddress at = settings.httpAddress();
    http.start(at.getHostString(), at.getPort());
    log.info("Tether server {} listening for HTTP on {}, data in {}", TetherVersion.get(), httpUrl(), settings.dataDir());
    return this;
  }

  /** The HTTP listener's base URL, with the port actually bound (useful when 0 was asked for). */
  public String httpUrl() {
    return "http://" + settings.httpAddress().getHostString() + ":" + http.port();
  }

  @Override
  public void close() {
    if (http != null) {
      http.stop();
    }
  }
}
