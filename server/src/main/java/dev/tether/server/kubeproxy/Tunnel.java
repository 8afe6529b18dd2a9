package dev.tether.server.kubeproxy;

import dev.tether.proto.v1.TunnelAgentMessage;
import dev.tether.proto.v1.TunnelServerMessage;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The server's end of one reverse-tunnel stream, carrying one proxied request at a time. Messages
 * from the agent are pulled one at a time (gRPC manual flow control), so a slow client slows the
 * agent and its API server rather than filling the server's memory. After a response the stream
 * goes back to the pool once both sides are done with the request: the proxy has read the response
 * to its end, and the agent has said it is ready again.
 */
final class Tunnel {
  /** Marks the end of the stream in the inbound queue. */
  private static final TunnelAgentMessage ENDED = TunnelAgentMessage.getDefaultInstance();
  private static final int WINDOW = 4;

  final String agentName;
  final String tokenId;
  private final ServerCallStreamObserver<TunnelServerMessage> toAgent;
  private final Consumer<Tunnel> idleAgain;
  private final BlockingQueue<TunnelAgentMessage> inbound = new LinkedBlockingQueue<>();
  private final Object ready = new Object();
  // Messages asked of the agent and not yet arrived: each request tops this up to WINDOW.
  private final AtomicInteger outstanding = new AtomicInteger();
  private volatile boolean ended;
  private volatile String endReason = "";
  private boolean done;
  // Both must be true before the stream carries another request; a new stream has no request to finish.
  private boolean responseRead = true;
  private boolean agentReady;
  // After a 101: where the agent's messages go instead of the queue (guarded by inbound).
  private Stream diverted;
  private final java.util.concurrent.atomic.AtomicReference<Runnable> whenReady = new java.util.concurrent.atomic.AtomicReference<>();

  /** Takes the agent's messages as they arrive once the tunnel carries an upgraded connection's bytes. */
  interface Stream {
    void message(TunnelAgentMessage message);

    void ended(String reason);
  }

  /** @param idleAgain takes the stream back into the pool when it is ready for another request */
  Tunnel(String agentName, String tokenId, ServerCallStreamObserver<TunnelServerMessage> toAgent, Consumer<Tunnel> idleAgain) {
    this.agentName = agentName;
    this.tokenId = tokenId;
    this.toAgent = toAgent;
    this.idleAgain = idleAgain;
    toAgent.setOnReadyHandler(() -> {
      synchronized (ready) {
        ready.notifyAll();
      }
      Runnable then = whenReady.getAndSet(null);
      if (then != null) {
        then.run();
      }
    });
  }

  /** Asks the agent for {@code n} more messages. */
  void request(int n) {
    outstanding.addAndGet(n);
    toAgent.request(n);
  }

  void received(TunnelAgentMessage message) {
    outstanding.decrementAndGet();
    if (message.hasReady()) {
      readyAgain(true);
      return;
    }
    Stream to;
    synchronized (inbound) {
      to = diverted;
      if (to == null) {
        inbound.add(message);
        return;
      }
    }
    to.message(message);
  }

  void ended(String reason) {
    Stream to;
    synchronized (inbound) {
      endReason = reason;
      ended = true;
      inbound.add(ENDED);
      to = diverted;
    }
    synchronized (ready) {
      ready.notifyAll();
    }
    if (to != null) {
      to.ended(reason);
    }
  }

  /**
   * From now on the agent's messages go to {@code stream} as they arrive, those already here first;
   * it asks for each next one ({@link #request}) once it has passed the last one on.
   */
  void divert(Stream stream) {
    List<TunnelAgentMessage> waiting = new java.util.ArrayList<>();
    boolean wasEnded;
    synchronized (inbound) {
      inbound.drainTo(waiting);
      wasEnded = waiting.remove(ENDED);
      diverted = stream;
    }
    waiting.forEach(stream::message);
    if (wasEnded) {
      stream.ended(endReason);
    }
  }

  /** Whether a message sent now goes out without piling up in the stream's buffer. */
  boolean readyToSend() {
    return toAgent.isReady() && !ended && !toAgent.isCancelled();
  }

  /** Runs {@code then} once the stream takes messages again (at once if it does now). */
  void whenReady(Runnable then) {
    whenReady.set(then);
    if (readyToSend() && whenReady.compareAndSet(then, null)) {
      then.run();
    }
  }

  /** Sends without waiting (the caller checked {@link #readyToSend}); false if the stream ended. */
  synchronized boolean sendNow(TunnelServerMessage message) {
    if (ended || toAgent.isCancelled() || done) {
      return false;
    }
    try {
      toAgent.onNext(message);
      return true;
    } catch (IllegalStateException closed) {
      return false;
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
    int missing = WINDOW - outstanding.get();
    if (missing > 0) {
      request(missing);
    }
  }

  /** The next message from the agent, or empty when the stream ended or nothing came in time. */
  java.util.Optional<TunnelAgentMessage> next(Duration timeout) throws InterruptedException {
    TunnelAgentMessage message = inbound.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    if (message == null || message == ENDED) {
      if (message == ENDED) {
        inbound.add(ENDED); // stays ended for any later call
      }
      return java.util.Optional.empty();
    }
    request(1);
    return java.util.Optional.of(message);
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

  /** The proxy read the whole response: the stream may carry the next request once the agent is ready. */
  void complete() {
    readyAgain(false);
  }

  private void readyAgain(boolean fromAgent) {
    synchronized (this) {
      if (fromAgent) {
        agentReady = true;
      } else {
        responseRead = true;
      }
      if (!responseRead || !agentReady || done || ended) {
        return;
      }
      responseRead = false;
      agentReady = false;
    }
    idleAgain.accept(this);
  }

  /** The agent ended its side (an agent that takes one request per stream does after each response): end ours. */
  void agentFinished() {
    end(toAgent::onCompleted, "the agent ended the tunnel");
  }

  /** Ends the stream because the client went away or the request must stop; the agent cancels upstream. */
  void cancel(String why) {
    end(() -> toAgent.onError(Status.CANCELLED.withDescription(why).asRuntimeException()), why);
  }

  private synchronized void end(Runnable closeOurSide, String why) {
    if (!done && !toAgent.isCancelled()) {
      done = true;
      try {
        closeOurSide.run();
      } catch (IllegalStateException alreadyClosed) {
        // ended meanwhile
      }
    }
    ended(why);
  }
}
