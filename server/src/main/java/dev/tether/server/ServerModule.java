package dev.tether.server;

/**
 * A server-side feature, in the shape of the agent's modules: a {@link Factory} builds it from the one
 * {@link ServerContext}, and while being built it registers what it serves there (gRPC services for
 * agents, HTTP routes, parts other features use). The server starts every module's background work
 * once all are built and the listeners are up, and stops them in the reverse order.
 */
public interface ServerModule {
  /** Builds a module; the server lists these in the order they are built. */
  @FunctionalInterface
  interface Factory {
    ServerModule create(ServerContext context);
  }

  /** A short name for logs and errors, like {@code gitops}. */
  String name();

  /** Starts background work (pollers, listeners of its own). Called once, after every module was built. */
  default void start() {}

  /** Stops background work and releases what the module holds; must not throw for a module that never started. */
  default void stop() {}
}
