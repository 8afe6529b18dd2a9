package dev.tether.server.kubeproxy;

import dev.tether.common.kubeproxy.ProxyHeaders;
import dev.tether.server.replica.ReplicaCalls;
import dev.tether.server.replica.ReplicaRegistry;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a kubectl request that reached a replica holding no tunnel of its agent to a replica that
 * holds one, over TLS to the certificate that replica published (pinned), presenting this replica's
 * id and secret. The original request goes as it came, its Authorization included: the other replica
 * authorizes it again itself, and never forwards it further. Bodies stream both ways as they come,
 * so watches and logs -f work across the hop.
 */
final class ReplicaForwarder {
  static final String CREDENTIAL_HEADER = ReplicaCalls.CREDENTIAL_HEADER;
  private static final Logger log = LoggerFactory.getLogger(ReplicaForwarder.class);
  private static final int CHUNK = 32 * 1024;
  // Set by Java's HTTP client (or ReplicaUpgradeHop) itself, or meaningless for the next hop.
  static final Set<String> NOT_FORWARDED = Set.of("host", "content-length", "expect", "upgrade", "connection",
      "keep-alive", "transfer-encoding", "te", "trailer", "proxy-authorization", "proxy-connection", CREDENTIAL_HEADER.toLowerCase(Locale.ROOT));

  private final ReplicaRegistry replicas;
  private final ReplicaUpgradeHop upgrades;

  ReplicaForwarder(ReplicaRegistry replicas) {
    this.replicas = replicas;
    this.upgrades = new ReplicaUpgradeHop(replicas);
  }

  /** Like {@link #forward}, for a request that switches protocols (exec, attach, cp, port-forward): see {@link ReplicaUpgradeHop}. */
  void forwardUpgrade(HttpServletRequest req, HttpServletResponse resp, String agentName, List<String> owners) {
    upgrades.forward(req, resp, agentName, owners);
  }

  String self() {
    return replicas.self().value();
  }

  /**
   * Forwards the request to the first of {@code owners} (replica ids, newest connection first) that
   * answers; one that refuses the connection is skipped, since nothing was sent to it.
   */
  void forward(HttpServletRequest req, HttpServletResponse resp, String agentName, List<String> owners) {
    String target = req.getRequestURI() + (req.getQueryString() == null ? "" : "?" + req.getQueryString());
    AtomicBoolean bodyTouched = new AtomicBoolean();
    String lastProblem = "no live replica holds a tunnel of the agent";
    for (String owner : owners) {
      Optional<ReplicaRegistry.Replica> replica = replicas.live(owner);
      if (replica.isEmpty()) {
        continue;
      }
      HttpResponse<InputStream> answer;
      try {
        answer = replicas.calls().client(replica.get()).send(request(req, replica.get(), target, bodyTouched), HttpResponse.BodyHandlers.ofInputStream());
      } catch (ConnectException | HttpConnectTimeoutException e) {
        lastProblem = "replica " + owner + " at " + replica.get().address() + " refused the connection";
        log.info("Cannot reach server replica {} at {} for agent '{}': {}", owner, replica.get().address(), agentName, e.toString());
        if (!bodyTouched.get()) {
          continue;
        }
        ProxyServlet.status(req, resp, 503, unavailable(agentName, lastProblem));
        return;
      } catch (IOException e) {
        ProxyServlet.status(req, resp, 503, unavailable(agentName, "replica " + owner + " at " + replica.get().address()
            + " that holds its tunnel stopped answering (" + e.getMessage() + ")"));
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        ProxyServlet.status(req, resp, 503, "the server is stopping");
        return;
      }
      relay(answer, req, resp, agentName, owner);
      return;
    }
    ProxyServlet.status(req, resp, 503, unavailable(agentName, lastProblem));
  }

  static String unavailable(String agentName, String why) {
    return "agent '" + agentName + "' cannot be reached through the other server replicas: " + why + ". If that replica "
        + "stopped, the agent reconnects to another one within seconds; try again";
  }

  private HttpRequest request(HttpServletRequest req, ReplicaRegistry.Replica replica, String target, AtomicBoolean bodyTouched) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("https://" + replica.address() + target));
    for (String name : java.util.Collections.list(req.getHeaderNames())) {
      if (NOT_FORWARDED.contains(name.toLowerCase(Locale.ROOT))) {
        continue;
      }
      for (String value : java.util.Collections.list(req.getHeaders(name))) {
        request.header(name, value);
      }
    }
    request.header(CREDENTIAL_HEADER, replicas.calls().credential());
    long length = req.getContentLengthLong();
    boolean body = length > 0 || (length < 0 && req.getHeader("Transfer-Encoding") != null);
    HttpRequest.BodyPublisher publisher = !body ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofInputStream(() -> {
      bodyTouched.set(true);
      try {
        return req.getInputStream();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    if (body && length > 0) {
      publisher = HttpRequest.BodyPublishers.fromPublisher(publisher, length);
    }
    return request.method(req.getMethod(), publisher).build();
  }

  /** Streams the other replica's answer to the client, flushing whatever arrived (a watch's events as they happen). */
  private static void relay(HttpResponse<InputStream> answer, HttpServletRequest req, HttpServletResponse resp, String agentName,
      String owner) {
    boolean betweenEvents = true;
    try (InputStream in = answer.body()) {
      resp.setStatus(answer.statusCode());
      ProxyHeaders.response(answer.headers().map()).forEach((name, values) -> {
        if (!name.equalsIgnoreCase("content-length") && !name.startsWith(":")) {
          values.forEach(v -> resp.addHeader(name, v));
        }
      });
      answer.headers().firstValue("content-length").ifPresent(v -> resp.setHeader("Content-Length", v));
      ServletOutputStream out = resp.getOutputStream();
      byte[] buffer = new byte[CHUNK];
      for (int n; (n = in.read(buffer)) >= 0; ) {
        out.write(buffer, 0, n);
        betweenEvents = n == 0 ? betweenEvents : buffer[n - 1] == '\n';
        if (in.available() == 0) {
          out.flush();
        }
      }
    } catch (IOException | IllegalStateException e) {
      // The other replica died mid-answer, or the client went away (closing the answer cancels the request there,
      // and with it the tunnel to the agent). A started answer cannot become a 503.
      log.info("A request for agent '{}' through server replica {} ended early: {}", agentName, owner, e.toString());
      BrokenAnswer.end(req, resp, betweenEvents, unavailable(agentName, "server replica " + owner + " that held its tunnel "
          + "stopped answering (" + e.getMessage() + ")"));
    }
  }
}
