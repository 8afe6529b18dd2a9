package dev.tether.server.http;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Handler;
import java.util.List;
import java.util.Locale;

/** Registers API routes and remembers them, so that a test can hold the OpenAPI document to them. */
final class ApiRoutes {
  /** A route as Javalin knows it; {@code <id>} path parameters may contain slashes (project ids do). */
  record Route(String method, String path) {
    /** The path as OpenAPI writes it: every parameter in braces. */
    String openApiPath() {
      return path.replace('<', '{').replace('>', '}');
    }
  }

  private final RoutesConfig routes;
  private final List<Route> registered;

  ApiRoutes(RoutesConfig routes, List<Route> registered) {
    this.routes = routes;
    this.registered = registered;
  }

  void get(String path, Handler handler) {
    routes.get(path, handler);
    remember("get", path);
  }

  void post(String path, Handler handler) {
    routes.post(path, handler);
    remember("post", path);
  }

  void delete(String path, Handler handler) {
    routes.delete(path, handler);
    remember("delete", path);
  }

  private void remember(String method, String path) {
    registered.add(new Route(method.toLowerCase(Locale.ROOT), path));
  }
}
