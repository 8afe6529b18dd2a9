package dev.tether.server.kubeproxy;

import dev.tether.common.kubeproxy.ProxyHeaders;
import dev.tether.proto.v1.Header;
import dev.tether.proto.v1.ProxyRequest;
import dev.tether.proto.v1.TunnelAgentMessage;
import dev.tether.proto.v1.TunnelServerMessage;
import dev.tether.server.connection.OpenCalls;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.HttpStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Passes a request that switches protocols (kubectl exec, attach, cp, port-forward; SPDY or
 * WebSocket) down a tunnel. The agent sends it to the API server on a connection of its own and
 * answers with the API server's response head. A 101 goes back to the client and its connection
 * becomes an {@link UpgradedClient}, carrying raw bytes to and from the tunnel. Any other answer
 * (403 for an identity without pods/exec, 400, …) goes back as it came and the client's connection
 * closes after it; the tunnel stream and the agent's connection to the API server end with it.
 */
final class ProtocolUpgrade {
  private static final Logger log = LoggerFactory.getLogger(ProtocolUpgrade.class);
  private static final Duration FIRST_BYTE = Duration.ofSeconds(60);

  private final OpenCalls calls;

  ProtocolUpgrade(OpenCalls calls) {
    this.calls = calls;
  }

  /** Whether the request can be upgraded at all: HTTP/1.1 with an Upgrade header (HTTP/2 has no upgrades). */
  static boolean upgradable(HttpServletRequest req, Map<String, List<String>> headers) {
    return "HTTP/1.1".equals(req.getProtocol()) && ProxyHeaders.upgrade(headers).isPresent();
  }

  void forward(HttpServletRequest req, HttpServletResponse resp, ProxyAccess access, Map<String, List<String>> headers, Tunnel tunnel)
      throws InterruptedException {
    // Read everything needed from the request now: once the response completes, Jetty recycles it.
    ServletContextRequest request = ServletContextRequest.getServletContextRequest(req);
    EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
    java.util.concurrent.Executor executor = request.getConnectionMetaData().getConnector().getExecutor();
    String what = req.getMethod() + " " + req.getRequestURI() + " (" + ProxyHeaders.upgrade(headers).orElseThrow() + ") for "
        + access.token().caller() + " through agent '" + access.agentName() + "'";
    tunnel.start();
    ProxyRequest.Builder proxied = ProxyRequest.newBuilder().setMethod(req.getMethod()).setPath(req.getRequestURI())
        .setQuery(req.getQueryString() == null ? "" : req.getQueryString()).setImpersonation(access.impersonation())
        .setCaller(access.token().caller()).setNoBody(true).setUpgrade(ProxyHeaders.upgrade(headers).orElseThrow());
    ProxyHeaders.request(headers).forEach((name, values) -> proxied.addHeaders(Header.newBuilder().setName(name).addAllValues(values)));
    if (!tunnel.send(TunnelServerMessage.newBuilder().setRequest(proxied).build())) {
      ProxyServlet.status(req, resp, 503, "agent '" + access.agentName() + "' closed the tunnel: " + tunnel.endReason());
      return;
    }
    Optional<TunnelAgentMessage> first = tunnel.next(FIRST_BYTE);
    if (first.isEmpty() || first.get().hasFailure()) {
      tunnel.cancel("no answer");
      closeAfter(resp);
      ProxyServlet.status(req, resp, first.isPresent() ? first.get().getFailure().getStatus() : tunnel.isEnded() ? 502 : 504,
          "agent '" + access.agentName() + "' " + (first.isPresent() ? ": " + first.get().getFailure().getMessage()
              : tunnel.isEnded() ? "lost the request: " + tunnel.endReason() : "did not answer within " + FIRST_BYTE.toSeconds() + " s"));
      return;
    }
    Map<String, List<String>> answered = new LinkedHashMap<>();
    first.get().getStart().getHeadersList().forEach(h -> answered.put(h.getName(), h.getValuesList()));
    int status = first.get().getStart().getStatus();
    if (status != 101) {
      log.info("{}: the API server answered {} instead of switching protocols", what, status);
      refused(req, resp, tunnel, status, answered);
      return;
    }
    AutoCloseable revocation = calls.register(access.token().id(), tunnel::cancel);
    UpgradedClient client = new UpgradedClient(endPoint, executor, tunnel, what, revocation);
    tunnel.divert(client);
    resp.setStatus(101);
    ProxyHeaders.switched(answered).forEach((name, values) -> values.forEach(v -> resp.addHeader(name, v)));
    resp.setHeader("Connection", "Upgrade");
    // Once the 101 is written, Jetty hands the socket to this connection (see HttpConnection's upgrade on completion).
    request.setAttribute(HttpStream.UPGRADE_CONNECTION_ATTRIBUTE, client);
    log.debug("{}: switched protocols", what);
  }

  /** The API server's answer other than 101, passed on whole; the client's connection closes after it. */
  private static void refused(HttpServletRequest req, HttpServletResponse resp, Tunnel tunnel, int status,
      Map<String, List<String>> headers) throws InterruptedException {
    resp.setStatus(status);
    ProxyHeaders.response(headers).forEach((name, values) -> values.forEach(v -> resp.addHeader(name, v)));
    closeAfter(resp);
    try {
      ServletOutputStream out = resp.getOutputStream();
      while (true) {
        Optional<TunnelAgentMessage> next = tunnel.next(FIRST_BYTE);
        if (next.isEmpty()) {
          BrokenAnswer.end(req, resp, false, "the answer broke off: " + tunnel.endReason());
          return;
        }
        if (next.get().hasBody()) {
          next.get().getBody().getData().writeTo(out);
        } else if (next.get().hasEnd()) {
          return;
        }
      }
    } catch (IOException clientGone) {
      tunnel.cancel("the client went away");
    }
  }

  private static void closeAfter(HttpServletResponse resp) {
    try {
      resp.setHeader("Connection", "close");
    } catch (IllegalStateException recycled) {
      // the client went away
    }
  }
}
