package dev.tether.agent.kubeproxy;

import com.google.protobuf.ByteString;
import dev.tether.agent.connection.Session;
import dev.tether.common.kubeproxy.ProxyHeaders;
import dev.tether.proto.v1.BodyChunk;
import dev.tether.proto.v1.BodyEnd;
import dev.tether.proto.v1.Header;
import dev.tether.proto.v1.Impersonation;
import dev.tether.proto.v1.KubeProxyGrpc;
import dev.tether.proto.v1.ProxyFailure;
import dev.tether.proto.v1.ProxyRequest;
import dev.tether.proto.v1.ResponseStart;
import dev.tether.proto.v1.TunnelAgentMessage;
import dev.tether.proto.v1.TunnelReady;
import dev.tether.proto.v1.TunnelServerMessage;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One tunnel stream and the request it carries: collects the request, sends it to the agent's API
 * server as the agent plus the impersonation the server decided, and streams the answer back. The
 * next chunk is read from the API server only when the stream can take it, so a slow client slows
 * the API server's response and nothing piles up here. When the server asks (keep_open) and the
 * pool wants another idle stream, the stream announces itself ready again after the response and
 * carries the next request; otherwise it ends.
 */
final class TunnelHandler implements ClientResponseObserver<TunnelAgentMessage, TunnelServerMessage> {
  private static final Logger log = LoggerFactory.getLogger(TunnelHandler.class);

  private final KubernetesClient cluster;
  private final KubeProxyModule.Pool pool;
  private ClientCallStreamObserver<TunnelAgentMessage> toServer;
  private volatile ProxyRequest request;
  private final ByteArrayOutputStream requestBody = new ByteArrayOutputStream();
  private static final int CHUNK_BYTES = 32 * 1024;
  private static final long GATHER_MICROS = 1000;
  // Response bytes not yet sent, and whether a send of them is scheduled (both guarded by this).
  private final ByteString.Output pending = ByteString.newOutput(CHUNK_BYTES);
  private boolean flushScheduled;
  private boolean sentBody;
  private volatile AsyncBody upstreamBody;
  private volatile CompletableFuture<HttpResponse<AsyncBody>> upstream;
  private volatile boolean cancelled;
  private volatile UpgradedCall upgraded;
  private boolean finished;
  private boolean serverFinished;
  private volatile boolean wasIdle = true;
  private volatile long requestNanos;
  // The answer's status code for metrics: the API server's, 502 when it could not be reached, 0 when cancelled first.
  private volatile int answered;

  TunnelHandler(KubernetesClient cluster, KubeProxyModule.Pool pool) {
    this.cluster = cluster;
    this.pool = pool;
  }

  void open(Session session) {
    // Callbacks only start or feed asynchronous work: run them on the transport thread, no hand-off.
    session.stub(KubeProxyGrpc::newStub).withExecutor(Runnable::run).tunnel(this);
    send(TunnelAgentMessage.newBuilder().setReady(TunnelReady.getDefaultInstance()).build());
  }

  @Override
  public void beforeStart(ClientCallStreamObserver<TunnelAgentMessage> requestStream) {
    toServer = requestStream;
    // One message from the server at a time: an upgraded call's bytes are asked for only as they are written.
    requestStream.disableAutoRequestWithInitial(1);
    requestStream.setOnReadyHandler(this::readyForMore);
  }

  @Override
  public void onNext(TunnelServerMessage message) {
    UpgradedCall call = upgraded;
    if (call != null) {
      // After an upgrade: the client's bytes, written before the next message is asked for; or its end.
      if (message.hasBody()) {
        call.fromClient(message.getBody().getData());
      } else if (message.hasEnd()) {
        call.clientClosed();
      }
      return;
    }
    switch (message.getKindCase()) {
      case REQUEST -> {
        request = message.getRequest();
        requestNanos = System.nanoTime();
        wasIdle = false;
        if (!request.getUpgrade().isEmpty()) {
          upgrade();
        } else if (request.getNoBody()) {
          forward();
        }
        // Opening the next idle tunnel comes after the request is on its way, not before it.
        pool.taken();
      }
      case BODY -> requestBody.writeBytes(message.getBody().getData().toByteArray());
      case END -> forward();
      default -> { }
    }
    toServer.request(1);
  }

  /** Sends an upgrade (exec, attach, cp, port-forward) on a connection of its own; the stream carries its bytes until it ends. */
  private void upgrade() {
    UpgradedCall call = new UpgradedCall(request, new ApiServerSocket(cluster.getConfiguration()), new UpgradedCall.Tunnel() {
      @Override public void send(TunnelAgentMessage message) { TunnelHandler.this.send(message); }
      @Override public boolean isReady() { return toServer.isReady(); }
      @Override public void requestMore() { toServer.request(1); }
      @Override public void finished(int status) { upgradeFinished(status); }
    });
    upgraded = call;
    call.start();
  }

  private synchronized void upgradeFinished(int status) {
    answered = status;
    if (!finished) {
      finished = true;
      pool.finished(this, wasIdle);
      if (!cancelled) {
        toServer.onCompleted();
      }
    }
  }

  private void forward() {
    HttpClient http = cluster.getHttpClient();
    String master = cluster.getMasterUrl().toString().replaceAll("/$", "");
    HttpRequest.Builder builder = http.newHttpRequestBuilder()
        .uri(master + request.getPath() + (request.getQuery().isEmpty() ? "" : "?" + request.getQuery()))
        .forStreaming();
    Map<String, List<String>> headers = new LinkedHashMap<>();
    request.getHeadersList().forEach(h -> headers.put(h.getName(), h.getValuesList()));
    // The server stripped these already; strip again, the agent trusts nobody's headers either.
    Map<String, List<String>> kept = ProxyHeaders.request(headers);
    String contentType = null;
    for (Map.Entry<String, List<String>> h : kept.entrySet()) {
      if (h.getKey().equalsIgnoreCase("content-type")) {
        contentType = h.getValue().isEmpty() ? null : h.getValue().get(0);
        continue;
      }
      boolean first = true;
      for (String value : h.getValue()) {
        if (first) {
          builder.setHeader(h.getKey(), value);
          first = false;
        } else {
          builder.header(h.getKey(), value);
        }
      }
    }
    impersonate(builder, request.getImpersonation());
    byte[] body = requestBody.toByteArray();
    if (body.length > 0 || !request.getMethod().equals("GET")) {
      builder.method(request.getMethod(), contentType == null ? "application/json" : contentType,
          new ByteArrayInputStream(body), (long) body.length);
    }
    log.debug("{} {} for {}", request.getMethod(), request.getPath(), request.getCaller());
    upstream = http.consumeBytes(builder.build(), this::chunk);
    upstream.whenComplete((response, error) -> {
      if (error != null) {
        fail("cannot reach the API server at " + master + ": " + rootMessage(error));
        return;
      }
      upstreamBody = response.body();
      if (cancelled) {
        upstreamBody.cancel();
        return;
      }
      answered = response.code();
      ResponseStart.Builder start = ResponseStart.newBuilder().setStatus(response.code());
      ProxyHeaders.response(response.headers()).forEach((name, values) ->
          start.addHeaders(Header.newBuilder().setName(name).addAllValues(values)));
      send(TunnelAgentMessage.newBuilder().setStart(start).build());
      response.body().done().whenComplete((done, failure) -> {
        if (failure != null && !cancelled) {
          log.info("Kubernetes API proxy: the API server's response to {} {} broke off: {}", request.getMethod(), request.getPath(),
              rootMessage(failure));
          abort();
        } else if (!cancelled) {
          synchronized (this) {
            sendPending();
            send(TunnelAgentMessage.newBuilder().setEnd(BodyEnd.getDefaultInstance()).build());
            complete();
          }
        }
      });
      readyForMore();
    });
  }

  /**
   * The HTTP client hands the body over in pieces of about a TLS record (a list of 1000 objects came
   * in 355 of them); a message each cost more than the bytes. The first piece goes out at once (most
   * answers are one piece: waiting would only add latency); the rest are gathered up to
   * {@link #CHUNK_BYTES}, and what is gathered goes out at the latest {@link #GATHER_MICROS} after its
   * first byte, so a watch's event is not held back.
   */
  private void chunk(List<ByteBuffer> buffers, AsyncBody body) {
    synchronized (this) {
      for (ByteBuffer buffer : buffers) {
        if (buffer.hasArray()) {
          pending.write(buffer.array(), buffer.arrayOffset() + buffer.position(), buffer.remaining());
        } else {
          byte[] bytes = new byte[buffer.remaining()];
          buffer.get(bytes);
          pending.write(bytes, 0, bytes.length);
        }
      }
      if (pending.size() >= CHUNK_BYTES || !sentBody) {
        sendPending();
        sentBody = true;
      } else if (pending.size() > 0 && !flushScheduled) {
        flushScheduled = true;
        pool.flusher().schedule(this::flushGathered, GATHER_MICROS, TimeUnit.MICROSECONDS);
      }
    }
    readyForMore();
  }

  private synchronized void flushGathered() {
    flushScheduled = false;
    sendPending();
  }

  private synchronized void sendPending() {
    if (pending.size() > 0) {
      send(TunnelAgentMessage.newBuilder().setBody(BodyChunk.newBuilder().setData(pending.toByteString())).build());
      pending.reset();
    }
  }

  /** The response went out in full: take the next request on this stream, or end it. */
  private synchronized void complete() {
    if (finished) {
      return;
    }
    if (request.getKeepOpen() && !cancelled && !serverFinished && pool.servedKeepIdle(this)) {
      // Everything of this request is reset before the server hears the stream is ready again.
      request = null;
      requestBody.reset();
      upstream = null;
      upstreamBody = null;
      pending.reset();
      sentBody = false;
      answered = 0;
      wasIdle = true;
      send(TunnelAgentMessage.newBuilder().setReady(TunnelReady.getDefaultInstance()).build());
      return;
    }
    finished = true;
    pool.finished(this, wasIdle);
    if (!cancelled) {
      toServer.onCompleted();
    }
  }

  /** Reads the next chunk from the API server when the stream to the server can take it. */
  private synchronized void readyForMore() {
    UpgradedCall call = upgraded;
    if (call != null) {
      call.readyAgain();
      return;
    }
    AsyncBody body = upstreamBody;
    if (body != null && !cancelled && toServer.isReady()) {
      body.consume();
    }
  }

  private static void impersonate(HttpRequest.Builder builder, Impersonation as) {
    ImpersonationHeaders.of(as).forEach((name, values) -> {
      for (int i = 0; i < values.size(); i++) {
        if (i == 0) {
          builder.setHeader(name, values.get(i));
        } else {
          builder.header(name, values.get(i));
        }
      }
    });
  }

  private void fail(String message) {
    log.info("Kubernetes API proxy: {} {} for {} failed: {}", request.getMethod(), request.getPath(), request.getCaller(), message);
    answered = 502;
    send(TunnelAgentMessage.newBuilder().setFailure(ProxyFailure.newBuilder().setStatus(502).setMessage(message)).build());
    complete();
  }

  private synchronized void send(TunnelAgentMessage message) {
    if (!finished && !cancelled) {
      try {
        toServer.onNext(message);
      } catch (IllegalStateException closed) {
        cancelled = true;
      }
    }
  }

  private synchronized void abort() {
    if (!finished) {
      finished = true;
      pool.finished(this, wasIdle);
      toServer.cancel("the API server's response broke off", null);
    }
  }

  /** The request this tunnel carried, if one arrived. */
  java.util.Optional<ProxyRequest> request() {
    return java.util.Optional.ofNullable(request);
  }

  /** The answer's status code; 0 when the request was cancelled before the API server answered. */
  int answered() {
    return answered;
  }

  long elapsedNanos() {
    return System.nanoTime() - requestNanos;
  }

  /** The server cancelled (the client went away) or the session ended: stop the upstream request too. */
  void cancel(String why) {
    cancelled = true;
    UpgradedCall switched = upgraded;
    if (switched != null) {
      switched.cancel();
    }
    try {
      AsyncBody body = upstreamBody;
      if (body != null) {
        body.cancel();
      }
      CompletableFuture<HttpResponse<AsyncBody>> call = upstream;
      if (call != null) {
        call.cancel(true);
      }
    } catch (RuntimeException clientClosed) {
      // The agent is stopping and its Kubernetes client closed first: nothing is left to cancel.
      log.debug("cancelling {} upstream: {}", request().map(ProxyRequest::getPath).orElse("a request"), clientClosed.toString());
    }
    synchronized (this) {
      if (!finished) {
        finished = true;
        pool.finished(this, wasIdle);
        toServer.cancel(why, null);
      }
    }
  }

  @Override
  public void onError(Throwable t) {
    cancel("the server ended the tunnel: " + Status.fromThrowable(t).getCode());
  }

  @Override
  public synchronized void onCompleted() {
    // The server finished its side: our side ends with the response, or now if the stream is idle.
    serverFinished = true;
    if (request == null && !finished) {
      finished = true;
      pool.finished(this, wasIdle);
      toServer.onCompleted();
    }
  }

  private static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return root.getMessage() != null ? root.getMessage() : root.toString();
  }
}
