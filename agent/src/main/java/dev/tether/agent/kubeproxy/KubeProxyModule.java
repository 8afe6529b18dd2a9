package dev.tether.agent.kubeproxy;

import dev.tether.agent.connection.Session;
import dev.tether.agent.connection.SessionStreams;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent half of the Kubernetes API proxy: on every session it keeps a few idle tunnel streams
 * open for the server to send requests down, opening a new one each time one is taken, up to a cap.
 */
public final class KubeProxyModule implements SessionStreams {
  private static final Logger log = LoggerFactory.getLogger(KubeProxyModule.class);
  static final int IDLE = 4;
  static final int MAX_OPEN = 256;

  private final KubernetesClient cluster;

  /** @param cluster a client for the agent's own API server, without retries (requests are not all idempotent) */
  public KubeProxyModule(KubernetesClient cluster) {
    this.cluster = cluster;
  }

  @Override
  public AutoCloseable open(Session session) {
    Pool pool = new Pool(session);
    for (int i = 0; i < IDLE; i++) {
      pool.openTunnel();
    }
    return pool::close;
  }

  /** The tunnels of one session. */
  final class Pool {
    private final Session session;
    private final Set<TunnelHandler> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger idle = new AtomicInteger();
    private volatile boolean closed;

    Pool(Session session) {
      this.session = session;
    }

    void openTunnel() {
      if (closed || open.size() >= MAX_OPEN) {
        if (!closed) {
          log.warn("Kubernetes API proxy: {} requests in flight, the most this agent serves at once", open.size());
        }
        return;
      }
      TunnelHandler tunnel = new TunnelHandler(cluster, this);
      open.add(tunnel);
      idle.incrementAndGet();
      tunnel.open(session);
    }

    /** A tunnel received a request: keep enough idle ones for the next. */
    void taken() {
      if (idle.decrementAndGet() < IDLE) {
        openTunnel();
      }
    }

    void finished(TunnelHandler tunnel, boolean wasIdle) {
      open.remove(tunnel);
      if (wasIdle) {
        idle.decrementAndGet();
      }
    }

    void close() {
      closed = true;
      open.forEach(t -> t.cancel("session ended"));
      open.clear();
    }
  }
}
