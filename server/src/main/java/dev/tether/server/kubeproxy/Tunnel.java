package dev.tether.server.kubeproxy;

import dev.tether.proto.v1.TunnelAgentMessage;
import dev.tether.proto.v1.TunnelServerMessage;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The server's end of one reverse-tunnel stream, used by one proxied request. Messages from the
 * agent are pulled one at a time (gRPC manual flow control), so a slow client slows the agent and
 * its API server rather than filling the server's memory.
 */
final class Tunnel {
  /** Marks the end of the stream in the inbound queue. */
  private static final TunnelAgentMessage ENDED = TunnelAgentMessage.getDefaultInstance();
  private static final int WINDOW = 4;

  final String agentName;
  final String tokenId;
  private final ServerCallStreamObserver<TunnelServerMessage> toAgent;
  private final BlockingQueue<TunnelAgentMessage> inbound = new LinkedBlockingQueue<>();
  private final Object ready = new Object();
  private volatile boolean ended;
  private volatile String endReason = "";
  private boolean done;

  Tunnel(String agentName, String tokenId, ServerCallStreamObserver<TunnelServerMessage> toAgent) {
    this.agentName = agentName;
    this.tokenId = tokenId;
    this.toAgent = toAgent;
    toAgent.setOnReadyHandler(() -> {
      synchronized (ready) {
        ready.notifyAll();
      }
    });
  }

  void received(TunnelAgentMessage message) {
    inbound.add(message);
  }

  void ended(String reason) {
    endReason = reason;
    ended = true;
    inbound.add(ENDED);
    synchronized (ready) {
      ready.notifyAll();
    }
  }

  boolean isEnded() {
    return ended;
  }

  String endReason() {
    return endReason;
  }

  /** Taken for a request: let the agent send a few messages ahead. */
  void start() {
    toAgent.request(WINDOW);
  }

  /** The next message from the agent, or empty when the stream ended or nothing came in time. */
  java.util.Optional<TunnelAgentMessage> next(Duration timeout) throws InterruptedException {
    TunnelAgentMessage message = inbound.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (message == null || message == ENDED) {
      if (message == ENDED) {
        inbound.add(ENDED); // stays ended for any later call
      }
      return java.util.Optional.empty();
    }
    toAgent.request(1);
    return java.util.Optional.of(message);
  }

  /** Whether another message from the agent is already here, so writing to the client can wait for it. */
  boolean hasWaiting() {
    return !inbound.isEmpty();
  }

  /** Sends to the agent, waiting while the stream is full; false if the stream ended. */
  synchronized boolean send(TunnelServerMessage message) throws InterruptedException {
    synchronized (ready) {
      while (!toAgent.isReady() && !ended && !toAgent.isCancelled()) {
        ready.wait(100);
      }
    }
    if (ended || toAgent.isCancelled() || done) {
      return false;
    }
    toAgent.onNext(message);
    return true;
  }

  /** Ends the stream normally: the request is done. */
  synchronized void complete() {
    if (!done && !ended && !toAgent.isCancelled()) {
      done = true;
      toAgent.onCompleted();
    }
  }

  /** Ends the stream because the client went away or the request must stop; the agent cancels upstream. */
  synchronized void cancel(String why) {
    if (!done && !toAgent.isCancelled()) {
      done = true;
      try {
        toAgent.onError(Status.CANCELLED.withDescription(why).asRuntimeException());
      } catch (IllegalStateException alreadyClosed) {
        // ended meanwhile
      }
    }
    ended(why);
  }
}
