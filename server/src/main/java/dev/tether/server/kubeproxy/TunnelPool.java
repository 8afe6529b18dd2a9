package dev.tether.server.kubeproxy;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;

/**
 * The idle reverse tunnels each agent keeps open, waiting for proxied requests. A tunnel is a stream
 * held by one server, so this pool is never shared: with replicas, the {@code AgentDirectory} says
 * which replica holds an agent's tunnels and a request is routed there to take one from its pool.
 */
final class TunnelPool {
  private final Map<String, LinkedBlockingDeque<Tunnel>> idle = new ConcurrentHashMap<>();

  void offer(Tunnel tunnel) {
    idle.computeIfAbsent(tunnel.agentName, k -> new LinkedBlockingDeque<>()).add(tunnel);
  }

  void remove(Tunnel tunnel) {
    LinkedBlockingDeque<Tunnel> queue = idle.get(tunnel.agentName);
    if (queue != null) {
      queue.remove(tunnel);
    }
  }

  /** An idle tunnel of the agent, waiting up to {@code wait} for one to come free. */
  Optional<Tunnel> take(String agentName, Duration wait) throws InterruptedException {
    LinkedBlockingDeque<Tunnel> queue = idle.computeIfAbsent(agentName, k -> new LinkedBlockingDeque<>());
    long deadline = System.nanoTime() + wait.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      Tunnel tunnel = left <= 0 ? queue.pollFirst() : queue.pollFirst(left, TimeUnit.NANOSECONDS);
      if (tunnel == null) {
        return Optional.empty();
      }
      if (!tunnel.isEnded()) {
        return Optional.of(tunnel);
      }
    }
  }

  int idleCount(String agentName) {
    LinkedBlockingDeque<Tunnel> queue = idle.get(agentName);
    return queue == null ? 0 : queue.size();
  }
}
