package dev.tether.agent.gitops;

import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Keeps at most a fixed number of API requests in flight without a thread waiting for a slot: a
 * request beyond the limit is queued and sent when an earlier one completes. A write is asked
 * whether the run must stop right before it is sent, not when it was queued, so a newer commit or a
 * lost session stops every write not yet on the wire.
 */
final class InFlightLimit {
  private final int limit;
  private final Queue<Request> waiting = new ArrayDeque<>();
  private int inFlight;

  InFlightLimit(int limit) {
    this.limit = limit;
  }

  /** A read: sent when a slot is free. */
  <T> CompletableFuture<T> read(Supplier<CompletableFuture<T>> call) {
    return submit(StopSignal.NEVER, call);
  }

  /** A write: sent when a slot is free, unless {@code stop} then says to stop. */
  <T> CompletableFuture<T> write(StopSignal stop, Supplier<CompletableFuture<T>> call) {
    return submit(stop, call);
  }

  /** A request waiting for its slot; {@code start} answers whether it gave the slot back at once (nothing was sent). */
  private interface Request {
    boolean start();
  }

  private <T> CompletableFuture<T> submit(StopSignal stop, Supplier<CompletableFuture<T>> call) {
    CompletableFuture<T> result = new CompletableFuture<>();
    Request request = () -> {
      String why = stop.reason();
      if (why != null) {
        result.completeExceptionally(new IllegalStateException("not applied: the sync stopped (" + why + ")"));
        return true;
      }
      CompletableFuture<T> sent;
      try {
        sent = call.get();
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
        return true;
      }
      sent.whenComplete((value, error) -> {
        done();
        if (error != null) {
          result.completeExceptionally(error);
        } else {
          result.complete(value);
        }
      });
      return false;
    };
    synchronized (this) {
      if (inFlight >= limit) {
        waiting.add(request);
        return result;
      }
      inFlight++;
    }
    if (request.start()) {
      done();
    }
    return result;
  }

  /** A request completed: its slot goes to the next one waiting (in a loop, not recursion: thousands may give it back at once). */
  private void done() {
    while (true) {
      Request next;
      synchronized (this) {
        next = waiting.poll();
        if (next == null) {
          inFlight--;
          return;
        }
      }
      if (!next.start()) {
        return;
      }
    }
  }
}
