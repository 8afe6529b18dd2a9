package dev.tether.agent.kubeproxy;

import com.google.protobuf.ByteString;
import dev.tether.proto.v1.BodyChunk;
import dev.tether.proto.v1.BodyEnd;
import dev.tether.proto.v1.Header;
import dev.tether.proto.v1.ProxyFailure;
import dev.tether.proto.v1.ProxyRequest;
import dev.tether.proto.v1.ResponseStart;
import dev.tether.proto.v1.TunnelAgentMessage;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One protocol upgrade (exec, attach, cp, port-forward over SPDY or WebSocket) on a connection of its
 * own to the API server. The HTTP client the rest of the proxy uses cannot hand over its connection
 * after a 101 (and SPDY is not a protocol it knows), so this writes the request head on a plain socket,
 * reads the response head and passes it up the tunnel. After a 101 it pumps raw bytes: one thread
 * reads the API server, only while the tunnel can take more (gRPC flow control); another writes to it
 * what the server sends, asking the server for the next message only once one is written. Nothing
 * piles up on either side. Any other answer goes up whole and the connection is closed: it is never
 * used for another request.
 */
final class UpgradedCall {
  private static final Logger log = LoggerFactory.getLogger(UpgradedCall.class);
  private static final int CHUNK = 32 * 1024;
  /** Marks the end in the queue of bytes for the API server: the client closed, or the call is over. */
  private static final ByteString STOP = ByteString.copyFromUtf8("stop");

  /** The tunnel stream this call answers on. */
  interface Tunnel {
    void send(TunnelAgentMessage message);

    /** Whether the stream to the server takes another message without buffering. */
    boolean isReady();

    /** Asks the server for its next message. */
    void requestMore();

    /** The call is over, with this status: end the stream (it never carries another request). */
    void finished(int status);
  }

  private final ProxyRequest request;
  private final ApiServerSocket apiServer;
  private final Tunnel tunnel;
  private final BlockingQueue<ByteString> toApiServer = new LinkedBlockingQueue<>();
  private final Object ready = new Object();
  private volatile Socket socket;
  private volatile boolean cancelled;

  UpgradedCall(ProxyRequest request, ApiServerSocket apiServer, Tunnel tunnel) {
    this.request = request;
    this.apiServer = apiServer;
    this.tunnel = tunnel;
  }

  /** Connects and sends the request on a thread of its own: connecting and the TLS handshake block. */
  void start() {
    Thread reader = new Thread(this::run, "kube-proxy-upgrade-read");
    reader.setDaemon(true);
    reader.start();
  }

  /** Bytes from the client, in order; each is written before the next is asked for. */
  void fromClient(ByteString data) {
    toApiServer.add(data);
  }

  /** The client closed its connection: close ours to the API server once what came before is written. */
  void clientClosed() {
    toApiServer.add(STOP);
  }

  /** The tunnel can take more: wake the reader if it waits. */
  void readyAgain() {
    synchronized (ready) {
      ready.notifyAll();
    }
  }

  /** The tunnel is gone (cancelled, session ended): drop the connection to the API server. */
  void cancel() {
    cancelled = true;
    closeSocket();
    toApiServer.add(STOP);
    readyAgain();
  }

  private void run() {
    ApiServerSocket.Head head;
    InputStream in;
    try {
      socket = apiServer.connect();
      if (cancelled) {
        closeSocket();
        return;
      }
      OutputStream out = socket.getOutputStream();
      out.write(apiServer.requestHead(request));
      out.flush();
      in = new BufferedInputStream(socket.getInputStream(), CHUNK);
      head = ApiServerSocket.readHead(in);
    } catch (IOException | RuntimeException e) {
      closeSocket();
      if (!cancelled) {
        String message = "cannot reach the API server at " + apiServer.address() + " to upgrade the connection: " + e.getMessage();
        log.info("Kubernetes API proxy: {} {} for {} failed: {}", request.getMethod(), request.getPath(), request.getCaller(), message);
        tunnel.send(TunnelAgentMessage.newBuilder().setFailure(ProxyFailure.newBuilder().setStatus(502).setMessage(message)).build());
        tunnel.finished(502);
      }
      return;
    }
    try {
      socket.setSoTimeout(0); // after the head, an exec may be quiet for as long as the user likes
    } catch (IOException e) {
      // the socket is gone: reading fails at once below
    }
    ResponseStart.Builder start = ResponseStart.newBuilder().setStatus(head.status());
    for (Map.Entry<String, List<String>> h : head.headers().entrySet()) {
      start.addHeaders(Header.newBuilder().setName(h.getKey()).addAllValues(h.getValue()));
    }
    tunnel.send(TunnelAgentMessage.newBuilder().setStart(start).build());
    if (head.status() == 101) {
      log.debug("{} {} for {}: switched to {}", request.getMethod(), request.getPath(), request.getCaller(), request.getUpgrade());
      Thread writer = new Thread(this::writeToApiServer, "kube-proxy-upgrade-write");
      writer.setDaemon(true);
      writer.start();
      pump(in);
    } else {
      // Refused (403 without pods/exec, 400, …): the answer goes back whole, and this connection ends with it.
      pump(ApiServerSocket.body(head, in));
    }
    // The API server closed, or the client did (the writer closed the socket): either way the other side ends now.
    closeSocket();
    toApiServer.add(STOP);
    if (!cancelled) {
      tunnel.send(TunnelAgentMessage.newBuilder().setEnd(BodyEnd.getDefaultInstance()).build());
      tunnel.finished(head.status());
    }
  }

  /** Sends what the API server sends up the tunnel until it ends, waiting while the tunnel is full. */
  private void pump(InputStream in) {
    byte[] buffer = new byte[CHUNK];
    try {
      while (true) {
        synchronized (ready) {
          while (!tunnel.isReady() && !cancelled) {
            ready.wait(1000);
          }
        }
        if (cancelled) {
          return;
        }
        int n = in.read(buffer);
        if (n < 0) {
          return;
        }
        tunnel.send(TunnelAgentMessage.newBuilder().setBody(BodyChunk.newBuilder().setData(ByteString.copyFrom(buffer, 0, n))).build());
      }
    } catch (IOException e) {
      if (!cancelled) {
        log.debug("{} {}: the connection to the API server ended: {}", request.getMethod(), request.getPath(), e.toString());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void writeToApiServer() {
    try {
      OutputStream out = socket.getOutputStream();
      while (true) {
        ByteString data = toApiServer.take();
        if (data == STOP) {
          closeSocket();
          return;
        }
        data.writeTo(out);
        out.flush();
        tunnel.requestMore();
      }
    } catch (IOException e) {
      log.debug("{} {}: writing to the API server failed: {}", request.getMethod(), request.getPath(), e.toString());
      closeSocket();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void closeSocket() {
    Socket s = socket;
    if (s != null) {
      try {
        s.close();
      } catch (IOException e) {
        // closed already
      }
    }
  }
}
