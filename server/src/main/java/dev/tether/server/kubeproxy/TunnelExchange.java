package dev.tether.server.kubeproxy;

import com.google.protobuf.ByteString;
import dev.tether.common.kubeproxy.ProxyHeaders;
import dev.tether.proto.v1.BodyChunk;
import dev.tether.proto.v1.BodyEnd;
import dev.tether.proto.v1.Header;
import dev.tether.proto.v1.ProxyRequest;
import dev.tether.proto.v1.TunnelAgentMessage;
import dev.tether.proto.v1.TunnelServerMessage;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.jetty.ee10.servlet.HttpOutput;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request and its answer through a tunnel the proxy took for it: the request and its body go down
 * to the agent, and the agent's answer comes back to the client as it arrives, flushed so that watch
 * events reach the client as they happen. A client that goes away cancels the tunnel, and with it the
 * request at the agent.
 */
final class TunnelExchange {
  private static final Logger log = LoggerFactory.getLogger(TunnelExchange.class);
  private static final int CHUNK = 32 * 1024;
  private static final Duration FIRST_BYTE = Duration.ofSeconds(60);
  private static final Duration COALESCE = Duration.ofMillis(2);
  private static final Duration MAX_UNFLUSHED = Duration.ofMillis(20);

  private TunnelExchange() {}

  static void run(HttpServletRequest req, HttpServletResponse resp, ProxyAccess access, Map<String, List<String>> headers,
      Tunnel tunnel) throws InterruptedException {
    tunnel.start();
    // Read everything needed from the request now: once the client goes away, Jetty recycles it.
    String what = req.getMethod() + " " + req.getRequestURI();
    ProxyRequest.Builder request = ProxyRequest.newBuilder().setMethod(req.getMethod()).setPath(req.getRequestURI())
        .setQuery(req.getQueryString() == null ? "" : req.getQueryString()).setImpersonation(access.impersonation())
        .setCaller(access.token().caller()).setKeepOpen(true);
    ProxyHeaders.request(headers).forEach((name, values) -> request.addHeaders(Header.newBuilder().setName(name).addAllValues(values)));
    long declared = req.getContentLengthLong();
    boolean safeMethod = req.getMethod().equals("GET") || req.getMethod().equals("HEAD");
    boolean noBody = declared == 0 || (declared < 0 && (safeMethod
        || (!req.getProtocol().startsWith("HTTP/2") && req.getHeader("Transfer-Encoding") == null)));
    request.setNoBody(noBody);
    if (!tunnel.send(TunnelServerMessage.newBuilder().setRequest(request).build())) {
      ProxyServlet.status(req, resp, 503, "agent '" + access.agentName() + "' closed the tunnel: " + tunnel.endReason());
      return;
    }
    if (!noBody) {
      if (!sendBody(req, resp, tunnel)) {
        return;
      }
    }
    receive(req, resp, access, tunnel, what);
  }

  /** Streams the client's request body down the tunnel; false if the request cannot go on. */
  private static boolean sendBody(HttpServletRequest req, HttpServletResponse resp, Tunnel tunnel) throws InterruptedException {
    try (InputStream body = req.getInputStream()) {
      byte[] buffer = new byte[CHUNK];
      long total = 0;
      for (int n; (n = body.read(buffer)) > 0; ) {
        total += n;
        if (total > ProxyServlet.MAX_REQUEST_BYTES) {
          tunnel.cancel("request body too large");
          ProxyServlet.status(req, resp, 413, "the request body is larger than " + ProxyServlet.MAX_REQUEST_BYTES + " bytes");
          return false;
        }
        tunnel.send(TunnelServerMessage.newBuilder().setBody(BodyChunk.newBuilder().setData(ByteString.copyFrom(buffer, 0, n))).build());
      }
      tunnel.send(TunnelServerMessage.newBuilder().setEnd(BodyEnd.getDefaultInstance()).build());
      return true;
    } catch (IOException e) {
      tunnel.cancel("the client's request body broke off");
      return false;
    }
  }

  /** Streams the agent's answer back to the client. */
  private static void receive(HttpServletRequest req, HttpServletResponse resp, ProxyAccess access, Tunnel tunnel, String what)
      throws InterruptedException {
    Optional<TunnelAgentMessage> first = tunnel.next(FIRST_BYTE);
    if (first.isEmpty()) {
      tunnel.cancel("no answer");
      ProxyServlet.status(req, resp, tunnel.isEnded() ? 502 : 504, "agent '" + access.agentName() + "' "
          + (tunnel.isEnded() ? "lost the request: " + tunnel.endReason() : "did not answer within " + FIRST_BYTE.toSeconds() + " s"));
      return;
    }
    if (first.get().hasFailure()) {
      tunnel.complete();
      ProxyServlet.status(req, resp, first.get().getFailure().getStatus() == 0 ? 502 : first.get().getFailure().getStatus(),
          "agent '" + access.agentName() + "': " + first.get().getFailure().getMessage());
      return;
    }
    resp.setStatus(first.get().getStart().getStatus());
    Map<String, List<String>> responseHeaders = new LinkedHashMap<>();
    first.get().getStart().getHeadersList().forEach(h -> responseHeaders.put(h.getName(), h.getValuesList()));
    ProxyHeaders.response(responseHeaders).forEach((name, values) -> values.forEach(v -> resp.addHeader(name, v)));
    try {
      ServletOutputStream out = resp.getOutputStream();
      long flushed = System.nanoTime();
      boolean betweenEvents = true;
      while (true) {
        // A small answer's body and end follow its start at once: waiting a moment for them sends the
        // whole answer in one write instead of three. When nothing comes (a watch between events), or
        // a stream keeps coming, flush: the client sees each event as it happens.
        Optional<TunnelAgentMessage> next = tunnel.next(COALESCE);
        if ((next.isEmpty() && !tunnel.isEnded()) || System.nanoTime() - flushed > MAX_UNFLUSHED.toNanos()) {
          out.flush();
          flushed = System.nanoTime();
        }
        if (next.isEmpty()) {
          next = tunnel.next(Duration.ofHours(24));
        }
        if (next.isEmpty()) {
          log.info("{} for {} through agent '{}' ended early: {}", what, access.token().caller(), access.agentName(),
              tunnel.endReason());
          BrokenAnswer.end(req, resp, betweenEvents, "the answer of agent '" + access.agentName() + "' broke off: "
              + tunnel.endReason());
          return;
        }
        if (next.get().hasBody()) {
          ByteString data = next.get().getBody().getData();
          write(data, out);
          betweenEvents = data.isEmpty() ? betweenEvents : data.byteAt(data.size() - 1) == '\n';
        } else if (next.get().hasEnd()) {
          tunnel.complete();
          return;
        }
      }
    } catch (IOException clientGone) {
      tunnel.cancel("the client went away");
    }
  }

  /**
   * Writes a chunk of the answer without copying it: {@code ByteString.writeTo(OutputStream)} hands the
   * stream a fresh copy of the bytes, which a profile of the proxy benchmark showed as most of what the
   * server allocated per call. Jetty's output takes the chunk's own bytes, read-only.
   */
  private static void write(ByteString data, ServletOutputStream out) throws IOException {
    if (out instanceof HttpOutput jetty) {
      jetty.write(data.asReadOnlyByteBuffer());
    } else {
      data.writeTo(out);
    }
  }
}
