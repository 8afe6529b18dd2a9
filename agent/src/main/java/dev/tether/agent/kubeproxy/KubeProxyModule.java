package dev.tether.agent.kubeproxy;

import dev.tether.agent.connection.Session;
import dev.tether.agent.connection.SessionStreams;
import dev.tether.common.metrics.PrometheusMetrics;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent half of the Kubernetes API proxy: on every session it keeps a few idle tunnel streams
 * open for the server to send requests down, opening a new one when fewer than {@link #IDLE} are
 * left, up to a cap. A stream that served a request goes back to idle when the server asks for that,
 * unless {@link #MAX_IDLE} are idle already (after a burst of concurrent requests).
 */
public final class KubeProxyModule implements SessionStreams {
  private static final Logger log = LoggerFactory.getLogger(KubeProxyModule.class);
  static final int IDLE = 4;
  static final int MAX_IDLE = 2 * IDLE;
  static final int MAX_OPEN = 256;

  private final KubernetesClient cluster;
  private final MeterRegistry meters;
  private final java.util.Map<String, Timer> timers = new ConcurrentHashMap<>();
  // Sends what a tunnel gathered of a response (see TunnelHandler); its thread ends when idle.
  private final ScheduledThreadPoolExecutor flusher = new ScheduledThreadPoolExecutor(1, r -> {
    Thread t = new Thread(r, "kube-proxy-flush");
    t.setDaemon(true);
    return t;
  });

  /** @param cluster a client for the agent's own API server, without retries (requests are not all idempotent) */
  public KubeProxyModule(KubernetesClient cluster, MeterRegistry meters) {
    this.cluster = cluster;
    this.meters = meters;
    flusher.setKeepAliveTime(10, TimeUnit.SECONDS);
    flusher.allowCoreThreadTimeOut(true);
  }

  /**
   * The timer of one method and answer code, looked up rather than built again: building and
   * registering one per request showed in a profile of
   * the proxy benchmark as a good part of the agent's own CPU per proxied call.
   */
  private Timer timer(String method, int code) {
    return timers.computeIfAbsent(method + ' ' + code, key -> Timer.builder("tether.agent.proxy.requests")
        .description("Kubernetes API requests served through the tunnel, by method and answer code (0: cancelled first)")
        .tags("method", method, "code", Integer.toString(code))
        .serviceLevelObjectives(PrometheusMetrics.REQUEST_BUCKETS).register(meters));
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

    ScheduledExecutorService flusher() {
      return flusher;
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

    /** A tunnel's request is done and the server would take the stream back: true if it stays open, idle. */
    boolean servedKeepIdle(TunnelHandler tunnel) {
      if (closed || idle.get() >= MAX_IDLE) {
        return false;
      }
      record(tunnel);
      idle.incrementAndGet();
      return true;
    }

    void finished(TunnelHandler tunnel, boolean wasIdle) {
      open.remove(tunnel);
      record(tunnel);
      if (wasIdle) {
        idle.decrementAndGet();
      }
    }

    private void record(TunnelHandler tunnel) {
      tunnel.request().ifPresent(request -> timer(request.getMethod(), tunnel.answered())
          .record(tunnel.elapsedNanos(), TimeUnit.NANOSECONDS));
    }

    void close() {
      closed = true;
      open.forEach(t -> t.cancel("session ended"));
      open.clear();
    }
  }
}
