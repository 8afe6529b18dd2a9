package dev.tether.testkit.k8s;

import java.util.List;

/**
 * A container of a pod run by a {@link TestNode}: its command runs as a local process in the pod's
 * work folder on this machine.
 *
 * @param command the program and its arguments; empty runs nothing (exec and cp still work)
 * @param stdin   whether the container keeps a stdin to attach to; closed when the first attach session's ends
 * @param port    the container port, or 0 for none
 */
public record TestContainer(String name, List<String> command, boolean stdin, int port) {
  /** What the test node serves itself: an HTTP server on 127.0.0.1:port (GET /, GET /bytes?n=&seed=, POST /echo). */
  public static final String HTTP_COMMAND = "tether-testnode-http";

  public TestContainer {
    command = List.copyOf(command);
  }

  /** Runs nothing: a place to exec commands in and copy files to. */
  public static TestContainer idle(String name) {
    return new TestContainer(name, List.of(), false, 0);
  }

  /** Runs {@code cat} on its stdin: what one attach session sends comes back, then it exits. */
  public static TestContainer cat(String name) {
    return new TestContainer(name, List.of("cat"), true, 0);
  }

  /** The test node's own HTTP server on 127.0.0.1:{@code port}, for port-forward. */
  public static TestContainer http(String name, int port) {
    return new TestContainer(name, List.of(HTTP_COMMAND), false, port);
  }

  public static TestContainer command(String name, String... command) {
    return new TestContainer(name, List.of(command), false, 0);
  }
}
