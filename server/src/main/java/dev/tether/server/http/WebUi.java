package dev.tether.server.http;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The web UI: static files (a page, its scripts, its style) that read HTTP API v1 with the admin
 * token the person signs in with. No build step and no third-party script: the UI is small enough
 * to be plain HTML, CSS and JavaScript, and a strict Content-Security-Policy can then forbid
 * everything else.
 */
final class WebUi {
  private static final String FOLDER = "/dev/tether/server/ui/";
  private static final String POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
  private static final Map<String, byte[]> CACHE = new ConcurrentHashMap<>();

  private WebUi() {}

  static void register(RoutesConfig routes) {
    routes.get("/", ctx -> ctx.redirect("/ui/"));
    // Javalin ignores trailing slashes: this serves /ui and /ui/ alike.
    routes.get("/ui/", ctx -> serve(ctx, "index.html", "text/html; charset=utf-8"));
    for (String script : new String[] {"app.js", "apps.js", "panel.js"}) {
      routes.get("/ui/" + script, ctx -> serve(ctx, script, "text/javascript; charset=utf-8"));
    }
    routes.get("/ui/app.css", ctx -> serve(ctx, "app.css", "text/css; charset=utf-8"));
  }

  private static void serve(Context ctx, String file, String contentType) {
    byte[] body = CACHE.computeIfAbsent(file, WebUi::read);
    ctx.header("Content-Security-Policy", POLICY);
    ctx.header("X-Content-Type-Options", "nosniff");
    ctx.header("Referrer-Policy", "no-referrer");
    // The files change with the server version only; revalidating each load is cheap and never stale.
    ctx.header("Cache-Control", "no-cache");
    ctx.contentType(contentType).result(body);
  }

  private static byte[] read(String file) {
    try (InputStream in = WebUi.class.getResourceAsStream(FOLDER + file)) {
      if (in == null) {
        throw new IllegalStateException("the web UI file " + file + " is missing from the server jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
