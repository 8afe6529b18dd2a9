package dev.tether.testkit.replicas;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A TCP load balancer on loopback, as agents meet one in front of server replicas: each connection goes
 * to the next backend in turn, skipping one that refuses (a dead replica), and bytes are copied both ways
 * until either side closes.
 */
public final class TcpBalancer implements AutoCloseable {
  private final ServerSocket listener;
  private final Supplier<List<InetSocketAddress>> backends;
  private final AtomicInteger next = new AtomicInteger();

  public TcpBalancer(Supplier<List<InetSocketAddress>> backends) throws IOException {
    this.backends = backends;
    this.listener = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::accept, "tcp-balancer");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** host:port for agents. */
  public String address() {
    return "127.0.0.1:" + listener.getLocalPort();
  }

  private void accept() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        Thread t = new Thread(() -> route(client), "tcp-balancer-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException closed) {
        return;
      }
    }
  }

  private void route(Socket client) {
    List<InetSocketAddress> all = backends.get();
    for (int tries = 0; tries < all.size(); tries++) {
      InetSocketAddress backend = all.get(Math.floorMod(next.getAndIncrement(), all.size()));
      Socket upstream = new Socket();
      try {
        upstream.connect(backend, 2_000);
      } catch (IOException refused) {
        closeQuietly(upstream);
        continue;
      }
      pipe(client, upstream);
      pipe(upstream, client);
      return;
    }
    closeQuietly(client);
  }

  private static void pipe(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        in.transferTo(out);
      } catch (IOException ended) {
        // either side went away
      } finally {
        closeQuietly(from);
        closeQuietly(to);
      }
    }, "tcp-balancer-pipe");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closed already
    }
  }

  @Override
  public void close() throws IOException {
    listener.close();
  }
}
