package dev.tether.server.kubeproxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.FutureCallback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's connection after the replica holding the agent's tunnel switched protocols: raw bytes
 * both ways between the client and the TLS socket to that replica, until either closes; closing one
 * closes the other, and a replica that dies ends the client's connection.
 *
 * <p>The client's side is Jetty's non-blocking endpoint, as in {@link UpgradedClient}: no thread waits
 * for a client that sends nothing (a shell waiting for a key). What the client sends is written to the
 * replica's socket before the client is read again, so a replica that takes nothing stops the reading.
 * The replica's side is a blocking socket read by one thread per stream, which writes each piece to the
 * client and waits until it is written before reading the next: a slow client stops the reading of the
 * replica, and through it the agent's tunnel there. A second non-blocking Jetty client connection would
 * spare that thread, at the cost of an HTTP exchange written by hand on callbacks; streams between
 * replicas are few (one per kubectl exec or port-forward that lands on the wrong replica), and a parked
 * thread costs memory, not CPU.
 */
final class ReplicaPipe extends AbstractConnection implements Connection.UpgradeTo {
  private static final Logger log = LoggerFactory.getLogger(ReplicaPipe.class);
  private static final int CHUNK = 32 * 1024;

  private final Socket replica;
  private final String what;
  private final ByteBuffer input = BufferUtil.allocate(CHUNK);
  private volatile boolean opened;

  /** @param what the request, for the log and the reading thread's name */
  ReplicaPipe(EndPoint client, Executor executor, Socket replica, String what) {
    super(client, executor);
    this.replica = replica;
    this.what = what;
  }

  /** Bytes the client sent after its request, before the 101 (Jetty had read them already). */
  @Override
  public void onUpgradeTo(ByteBuffer buffer) {
    if (BufferUtil.hasContent(buffer)) {
      try {
        toReplica(buffer);
      } catch (IOException e) {
        log.debug("{}: writing to the replica failed: {}", what, e.toString());
        close();
      }
    }
  }

  @Override
  public void onOpen() {
    super.onOpen();
    opened = true;
    Thread reader = new Thread(this::replicaToClient, "replica-hop-read");
    reader.setDaemon(true);
    reader.start();
    fillInterested();
  }

  /** The client sent bytes: write them to the replica, then wait for the client's next ones. */
  @Override
  public void onFillable() {
    try {
      while (true) {
        int n = getEndPoint().fill(input);
        if (n > 0) {
          toReplica(input);
          BufferUtil.clear(input);
        } else if (n == 0) {
          fillInterested();
          return;
        } else {
          // The client closed: so does this side towards the replica (it ends the stream at the agent, which ends the answer).
          log.debug("{}: the client closed its connection", what);
          try {
            replica.shutdownOutput();
          } catch (IOException | UnsupportedOperationException notHalfClosable) {
            closeBoth();
          }
          return;
        }
      }
    } catch (IOException e) {
      log.debug("{}: passing the client's bytes to the replica failed: {}", what, e.toString());
      closeBoth();
    }
  }

  private void toReplica(ByteBuffer bytes) throws IOException {
    OutputStream out = replica.getOutputStream();
    if (bytes.hasArray()) {
      out.write(bytes.array(), bytes.arrayOffset() + bytes.position(), bytes.remaining());
    } else {
      byte[] copy = new byte[bytes.remaining()];
      bytes.get(copy);
      out.write(copy);
    }
    out.flush();
  }

  /** Runs on the reading thread until the replica's side ends; then the client's connection closes, after all written. */
  private void replicaToClient() {
    byte[] buffer = new byte[CHUNK];
    String why = "the replica closed the stream";
    try {
      InputStream in = replica.getInputStream();
      for (int n; (n = in.read(buffer)) >= 0; ) {
        FutureCallback written = new FutureCallback();
        getEndPoint().write(written, ByteBuffer.wrap(buffer, 0, n));
        written.get(); // the buffer is reused: wait (this is the backpressure towards the replica)
      }
    } catch (IOException e) {
      why = replica.isClosed() ? "the client's connection closed" : "the replica's connection broke (" + e.getMessage() + ")";
    } catch (ExecutionException e) {
      why = "writing to the client failed (" + e.getCause() + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      why = "interrupted";
    }
    log.debug("{} across replicas ended: {}", what, why);
    closeBoth();
  }

  /**
   * A client that went away before its 101 was written never gets this connection (Jetty upgrades only
   * after the 101 went out): then nothing else would close the replica's socket and its stream.
   */
  void closeUnlessOpened() {
    if (!opened) {
      log.debug("{}: the client's connection was never upgraded", what);
      closeReplica();
    }
  }

  private void closeBoth() {
    getEndPoint().close();
    closeReplica();
  }

  private void closeReplica() {
    try {
      replica.close();
    } catch (IOException e) {
      log.debug("closing the socket to a replica failed", e);
    }
  }

  /** Closed for any reason (the client went away, idle, the server stopping): the replica's socket closes, ending its stream. */
  @Override
  public void onClose(Throwable cause) {
    super.onClose(cause);
    closeReplica();
  }
}
