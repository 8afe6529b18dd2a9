package dev.tether.server.connection;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/**
 * The server's side of a stream to an agent, safe to use from several threads: messages are sent
 * one at a time, and sends or closes after the stream ended (cancelled by the agent, closed by the
 * server) are dropped instead of failing.
 */
public final class OutboundStream<T> {
  private final ServerCallStreamObserver<T> observer;
  private boolean closed;

  public OutboundStream(StreamObserver<T> observer) {
    this.observer = (ServerCallStreamObserver<T>) observer;
  }

  /** @return false if the stream has ended and the message was dropped */
  public synchronized boolean send(T message) {
    if (closed || observer.isCancelled()) {
      return false;
    }
    observer.onNext(message);
    return true;
  }

  public synchronized void fail(Status status) {
    if (!closed && !observer.isCancelled()) {
      closed = true;
      observer.onError(status.asRuntimeException());
    }
  }

  public synchronized void complete() {
    if (!closed && !observer.isCancelled()) {
      closed = true;
      observer.onCompleted();
    }
  }

  /** Runs {@code action} once the stream ends for any reason; call it before the service method returns. */
  public void onEnd(Runnable action) {
    onEnd(action, action);
  }

  /**
   * Runs {@code closedByServer} once the server has ended the stream, or {@code cancelledByClient} once the
   * client cancelled it or its connection broke; call it before the service method returns.
   */
  public void onEnd(Runnable closedByServer, Runnable cancelledByClient) {
    observer.setOnCancelHandler(cancelledByClient);
    observer.setOnCloseHandler(closedByServer);
  }

  public static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception e) {
      throw new IllegalStateException("cannot release a stream's registration", e);
    }
  }
}
