package dev.tether.server.kubeproxy;

import com.google.protobuf.ByteString;
import dev.tether.proto.v1.BodyChunk;
import dev.tether.proto.v1.BodyEnd;
import dev.tether.proto.v1.TunnelAgentMessage;
import dev.tether.proto.v1.TunnelServerMessage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Executor;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's connection after the API server switched protocols (exec, attach, cp, port-forward):
 * raw bytes both ways between it and the agent's tunnel stream, until either side closes.
 *
 * <p>It replaces Jetty's HTTP connection on the same socket (the endpoint is upgraded to it once the
 * 101 is written), so it is driven by Jetty's own non-blocking I/O and holds no thread while a shell
 * waits for a key: the client is read only when the tunnel takes more (gRPC flow control), and the
 * agent is asked for its next message only once the last one is written to the client. At most the
 * tunnel's few messages in flight are held here. (The servlet API's upgrade would give the same
 * through WebConnection streams and listeners, but only before the response is committed and with
 * a thread hand-off per callback; the 101 here comes from the API server, read on a worker.)
 */
final class UpgradedClient extends AbstractConnection implements Connection.UpgradeTo, dev.tether.server.kubeproxy.Tunnel.Stream {
  private static final Logger log = LoggerFactory.getLogger(UpgradedClient.class);
  private static final int CHUNK = 32 * 1024;

  private final dev.tether.server.kubeproxy.Tunnel tunnel;
  private final String what;
  private final AutoCloseable revocation;
  private final ByteBuffer input = BufferUtil.allocate(CHUNK);
  // The agent's messages not yet written to the client, and whether a write is under way (guarded by this).
  private final Deque<ByteBuffer> output = new ArrayDeque<>();
  private boolean writing;
  private boolean opened;
  private boolean agentEnded;

  /**
   * @param what the request, for the log
   * @param revocation unregistered when the connection closes (revoking the token cancels the tunnel)
   */
  UpgradedClient(EndPoint endPoint, Executor executor, dev.tether.server.kubeproxy.Tunnel tunnel, String what, AutoCloseable revocation) {
    super(endPoint, executor);
    this.tunnel = tunnel;
    this.what = what;
    this.revocation = revocation;
  }

  /** Bytes the client sent after its request, before the 101 (Jetty had read them already). */
  @Override
  public void onUpgradeTo(ByteBuffer buffer) {
    if (BufferUtil.hasContent(buffer)) {
      tunnel.sendNow(body(ByteString.copyFrom(buffer)));
    }
  }

  @Override
  public void onOpen() {
    super.onOpen();
    synchronized (this) {
      opened = true;
    }
    writeNext();
    fillInterested();
  }

  /** The client sent bytes: pass them on while the tunnel takes them, then wait for the tunnel or the client. */
  @Override
  public void onFillable() {
    try {
      while (true) {
        if (!tunnel.readyToSend()) {
          if (tunnel.isEnded()) {
            return;
          }
          tunnel.whenReady(this::readAgain);
          return;
        }
        int n = getEndPoint().fill(input);
        if (n > 0) {
          tunnel.sendNow(body(ByteString.copyFrom(input)));
          BufferUtil.clear(input);
        } else if (n == 0) {
          fillInterested();
          return;
        } else {
          // The client closed: the agent closes its connection to the API server, and ends the stream after.
          log.debug("{}: the client closed its connection", what);
          tunnel.sendNow(TunnelServerMessage.newBuilder().setEnd(BodyEnd.getDefaultInstance()).build());
          return;
        }
      }
    } catch (IOException e) {
      log.debug("{}: reading the client failed: {}", what, e.toString());
      close();
    }
  }

  /** The tunnel takes more: wait for the client's next bytes (nothing else waits for them meanwhile). */
  private void readAgain() {
    try {
      fillInterested();
    } catch (java.nio.channels.ReadPendingException already) {
      // interested already
    }
  }

  @Override
  public void message(TunnelAgentMessage message) {
    if (message.hasBody()) {
      synchronized (this) {
        output.add(message.getBody().getData().asReadOnlyByteBuffer());
      }
      writeNext();
    } else if (message.hasEnd()) {
      synchronized (this) {
        agentEnded = true;
      }
      writeNext();
    }
  }

  /** The stream ended; after the agent's BodyEnd that is how it finishes, otherwise it broke: close at once. */
  @Override
  public void ended(String reason) {
    boolean broke;
    synchronized (this) {
      broke = !agentEnded;
    }
    if (broke) {
      log.info("{} ended: {}", what, reason);
      close();
    }
  }

  private void writeNext() {
    ByteBuffer next;
    synchronized (this) {
      if (writing || !opened) {
        return;
      }
      next = output.poll();
      if (next == null) {
        if (agentEnded) {
          writing = true; // nothing more is written
          getEndPoint().close(); // the API server closed: so does the client's connection, once all it sent is written
        }
        return;
      }
      writing = true;
    }
    getEndPoint().write(Callback.from(() -> {
      synchronized (this) {
        writing = false;
      }
      tunnel.request(1);
      writeNext();
    }, failure -> {
      log.debug("{}: writing to the client failed: {}", what, failure.toString());
      close();
    }), next);
  }

  /** Closed for any reason (the client went away, idle, the server stopping): the tunnel and the agent's connection end too. */
  @Override
  public void onClose(Throwable cause) {
    super.onClose(cause);
    tunnel.cancel("the client's connection closed");
    try {
      revocation.close();
    } catch (Exception e) {
      log.debug("releasing a revocation hook failed", e);
    }
  }

  private static TunnelServerMessage body(ByteString data) {
    return TunnelServerMessage.newBuilder().setBody(BodyChunk.newBuilder().setData(data)).build();
  }
}
