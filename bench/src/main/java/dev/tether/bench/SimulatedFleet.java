package dev.tether.bench;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NegotiationType;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.IntSupplier;

/**
 * Many {@link SimulatedAgent}s in this JVM: each its own TLS connection (a channel of its own, as each
 * real agent has) with its own token, all sharing one Netty event loop group, one TLS context, one
 * small pool for their callbacks and one timer thread, so that thousands fit in one process. It counts
 * what the server did to them: welcomes (with the second each came in), refusals by status, and
 * configurations and manifests received.
 */
final class SimulatedFleet implements AutoCloseable {
  private static final int TIMELINE_SECONDS = 3600;

  private final NioEventLoopGroup eventLoops = new NioEventLoopGroup(2, daemonThreads("fleet-netty"));
  private final ExecutorService callbacks = Executors.newFixedThreadPool(2, daemonThreads("fleet-callbacks"));
  private final ScheduledExecutorService timers = Executors.newScheduledThreadPool(1, daemonThreads("fleet-timers"));
  private final Duration heartbeatInterval;
  private final List<SimulatedAgent> agents = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final long startNanos = System.nanoTime();
  // Welcomes per second since the fleet was made: connection rates over any span come from here.
  private final AtomicLongArray welcomesPerSecond = new AtomicLongArray(TIMELINE_SECONDS);
  private final AtomicInteger connected = new AtomicInteger();
  private final AtomicLong welcomes = new AtomicLong();
  private final AtomicLong configurations = new AtomicLong();
  private final AtomicLong manifests = new AtomicLong();
  private final Map<Status.Code, AtomicLong> failures = new ConcurrentHashMap<>();
  private final Map<Status.Code, String> lastFailure = new ConcurrentHashMap<>();
  private volatile String problem;
  private final AtomicLong manifestsErrors = new AtomicLong();
  private volatile String lastManifestsError;
  private volatile Semaphore firstDials;

  /** What the fleet's sessions ended with, by status: UNAUTHENTICATED and RESOURCE_EXHAUSTED are refusals. */
  record Failures(long unauthenticated, long resourceExhausted, long other, String examples) {
    long refusals() {
      return unauthenticated + resourceExhausted;
    }
  }

  SimulatedFleet(String target, Path caFile, Map<String, String> tokensByAgent, Duration heartbeatInterval) throws Exception {
    this.heartbeatInterval = heartbeatInterval;
    SslContext tls = GrpcSslContexts.forClient().trustManager(caFile.toFile()).build();
    for (Map.Entry<String, String> agent : tokensByAgent.entrySet()) {
      ManagedChannel channel = NettyChannelBuilder.forTarget(target).negotiationType(NegotiationType.TLS).sslContext(tls)
          .eventLoopGroup(eventLoops).channelType(NioSocketChannel.class).executor(callbacks)
          .keepAliveTime(30, TimeUnit.SECONDS).keepAliveTimeout(10, TimeUnit.SECONDS).keepAliveWithoutCalls(true)
          .disableRetry().build();
      channels.add(channel);
      agents.add(new SimulatedAgent(agent.getKey(), agent.getValue(), channel, this));
    }
  }

  /**
   * Every agent dials, at most {@code dialing} at a time until each has been welcomed or refused once: thousands of
   * TLS handshakes at once starve this JVM's own two event loops (on a shared machine), whose agents then give up
   * waiting for their welcome and dial again, and the figure would be the simulation's, not the server's.
   */
  void connectAll(int dialing) throws InterruptedException {
    firstDials = new Semaphore(dialing);
    for (SimulatedAgent agent : agents) {
      firstDials.acquire();
      agent.connect();
    }
  }

  /** An agent's first session was welcomed or ended: another may dial. */
  void firstDialDone() {
    Semaphore s = firstDials;
    if (s != null) {
      s.release();
    }
  }

  int size() {
    return agents.size();
  }

  int connected() {
    return connected.get();
  }

  long readyCount() {
    return agents.stream().filter(SimulatedAgent::ready).count();
  }

  long welcomes() {
    return welcomes.get();
  }

  long configurationsReceived() {
    return configurations.get();
  }

  long manifestsCount() {
    return manifests.get();
  }

  Failures failures() {
    return new Failures(count(Status.Code.UNAUTHENTICATED), count(Status.Code.RESOURCE_EXHAUSTED),
        failures.entrySet().stream().filter(e -> e.getKey() != Status.Code.UNAUTHENTICATED && e.getKey() != Status.Code.RESOURCE_EXHAUSTED)
            .mapToLong(e -> e.getValue().get()).sum(),
        String.join("; ", lastFailure.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue()).toList()));
  }

  /** A message an agent could not handle (an invalid configuration, refused manifests); null when there was none. */
  String problem() {
    return problem;
  }

  /** The agents' configuration commits and when each arrived. */
  List<SimulatedAgent> agents() {
    return agents;
  }

  /** The most welcomes in any one second from {@code fromNanos} on. */
  long peakWelcomesPerSecond(long fromNanos) {
    long peak = 0;
    for (int s = second(fromNanos); s < TIMELINE_SECONDS; s++) {
      peak = Math.max(peak, welcomesPerSecond.get(s));
    }
    return peak;
  }

  /** Waits until {@code condition} reaches {@code target}; the time it took, or the last value seen when it did not within {@code limit}. */
  static Duration await(IntSupplier condition, long target, Duration limit, String what) throws InterruptedException {
    long start = System.nanoTime();
    while (condition.getAsInt() < target) {
      if (System.nanoTime() - start > limit.toNanos()) {
        throw new IllegalStateException("waited " + limit.toSeconds() + " s for " + what + ": " + condition.getAsInt() + " of " + target);
      }
      Thread.sleep(20);
    }
    return Duration.ofNanos(System.nanoTime() - start);
  }

  ScheduledExecutorService timers() {
    return timers;
  }

  Duration heartbeatInterval() {
    return heartbeatInterval;
  }

  void welcomed() {
    connected.incrementAndGet();
    welcomes.incrementAndGet();
    welcomesPerSecond.incrementAndGet(Math.min(TIMELINE_SECONDS - 1, second(System.nanoTime())));
  }

  void disconnected() {
    connected.decrementAndGet();
  }

  void configured() {
    configurations.incrementAndGet();
  }

  void manifestsReceived() {
    manifests.incrementAndGet();
  }

  void failed(Status status) {
    failures.computeIfAbsent(status.getCode(), c -> new AtomicLong()).incrementAndGet();
    lastFailure.put(status.getCode(), String.valueOf(status.getDescription()));
  }

  void manifestsError(String message) {
    manifestsErrors.incrementAndGet();
    lastManifestsError = message;
  }

  /** ManifestsErrors the agents received (the server could not serve their manifests then), with the last one's message. */
  String manifestsErrors() {
    return manifestsErrors.get() == 0 ? "none" : manifestsErrors.get() + " (the last: " + lastManifestsError + ")";
  }

  void problem(String message) {
    problem = message;
  }

  private int second(long nanos) {
    return (int) Math.max(0, TimeUnit.NANOSECONDS.toSeconds(nanos - startNanos));
  }

  private long count(Status.Code code) {
    AtomicLong n = failures.get(code);
    return n == null ? 0 : n.get();
  }

  @Override
  public void close() throws InterruptedException {
    agents.forEach(SimulatedAgent::stop);
    channels.forEach(ManagedChannel::shutdownNow);
    for (ManagedChannel channel : channels) {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
    timers.shutdownNow();
    callbacks.shutdownNow();
    eventLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
  }

  private static java.util.concurrent.ThreadFactory daemonThreads(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
