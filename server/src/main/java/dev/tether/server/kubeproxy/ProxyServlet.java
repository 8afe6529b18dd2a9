package dev.tether.server.kubeproxy;

import dev.tether.common.kubeproxy.ProxyHeaders;
import dev.tether.common.kubeproxy.ProxyKubeconfig;
import dev.tether.common.metrics.PrometheusMetrics;
import dev.tether.server.connection.OpenCalls;
import dev.tether.server.connection.AgentDirectory;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import dev.tether.server.connection.RateLimiter;
import java.util.Map;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kubernetes API proxy's front: authorizes the request, sends it to the replica holding the
 * agent's tunnels when that is another, takes one of the agent's idle tunnels here, and hands the
 * request and its answer to {@link TunnelExchange} (or a protocol upgrade to {@link ProtocolUpgrade}).
 */
final class ProxyServlet extends HttpServlet {
  private static final Logger log = LoggerFactory.getLogger(ProxyServlet.class);
  static final long MAX_REQUEST_BYTES = 64L * 1024 * 1024;
  private static final Duration TUNNEL_WAIT = Duration.ofSeconds(10);

  private final ProxyAuthorizer authorizer;
  private final TunnelPool pool;
  private final AgentDirectory connections;
  private final OpenCalls calls;
  private final ExecutorService requests;
  private final MeterRegistry meters;
  private final Map<String, Timer> timers = new java.util.concurrent.ConcurrentHashMap<>();

  private final RateLimiter perToken;
  private final ProxyRequestRate rate;
  private final String replicaId;
  private final Optional<ReplicaForwarder> forwarder;
  private final ProtocolUpgrade upgrades;

  /**
   * @param replicaId this server's replica id: the connections it holds itself carry it
   * @param forwarder sends requests for agents connected elsewhere to the replica that holds them; empty
   *     for one server alone, and for requests that another replica forwarded here (they never go further)
   */
  ProxyServlet(ProxyAuthorizer authorizer, TunnelPool pool, AgentDirectory connections, OpenCalls calls, ExecutorService requests,
      MeterRegistry meters, RateLimiter perToken, ProxyRequestRate rate, String replicaId, Optional<ReplicaForwarder> forwarder) {
    this.replicaId = replicaId;
    this.forwarder = forwarder;
    this.perToken = perToken;
    this.rate = rate;
    this.authorizer = authorizer;
    this.pool = pool;
    this.connections = connections;
    this.calls = calls;
    this.requests = requests;
    this.meters = meters;
    this.upgrades = new ProtocolUpgrade(calls);
  }

  @Override
  protected void service(HttpServletRequest req, HttpServletResponse resp) {
    AsyncContext async = req.startAsync();
    async.setTimeout(0); // watches last as long as the client wants
    long started = System.nanoTime();
    // Read now: Jetty recycles the request once it is complete.
    String method = req.getMethod();
    boolean watch = BrokenAnswer.isWatch(req.getQueryString());
    Runnable task = () -> {
      try {
        proxy(req, resp, async);
      } finally {
        count(method, watch, statusOf(resp), System.nanoTime() - started);
        try {
          async.complete();
        } catch (IllegalStateException alreadyDone) {
          // the client went away
        }
      }
    };
    if (mayLastLong(req, watch)) {
      // Watches, followed logs and upgraded connections last as long as the client wants: a thread of
      // our own each, so they never hold Jetty's threads that serve every other request.
      requests.execute(task);
    } else {
      // Any other answer ends when the API server's does: serving it on Jetty's thread saves a
      // hand-off to another thread and back, which on a busy machine cost more than the rest of the call.
      task.run();
    }
  }

  /** A request whose answer may stream for as long as the client wants. */
  private static boolean mayLastLong(HttpServletRequest req, boolean watch) {
    String query = req.getQueryString();
    String connection = req.getHeader("Connection");
    return watch || req.getRequestURI().contains("/watch/") || (query != null && query.contains("follow="))
        || req.getHeader("Upgrade") != null || (connection != null && connection.toLowerCase(java.util.Locale.ROOT).contains("upgrade"));
  }

  private void count(String method, boolean watch, int status, long nanos) {
    // One timer per method, code and kind, looked up rather than built again: building and registering
    // one per request was a measurable part of the proxy's CPU per call.
    timers.computeIfAbsent(method + ' ' + status + ' ' + watch, key -> Timer.builder("tether.proxy.requests")
        .description("Kubernetes API requests through the proxy, by method and answer code "
            + "(watches last as long as the client watches)")
        .tags("method", method, "code", Integer.toString(status), "watch", Boolean.toString(watch))
        .serviceLevelObjectives(PrometheusMetrics.REQUEST_BUCKETS).register(meters)).record(nanos, TimeUnit.NANOSECONDS);
  }

  /** 429 with Retry-After (whole seconds, at least 1) and a Status naming the limit; the client's kubectl waits and retries. */
  private void tooMany(HttpServletRequest req, HttpServletResponse resp, ProxyAccess access, Duration wait) {
    long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
    log.debug("Refused {} {} of access token {}: over its rate", req.getMethod(), req.getRequestURI(), access.token().id());
    try {
      resp.setHeader("Retry-After", Long.toString(seconds));
    } catch (IllegalStateException clientGone) {
      return;
    }
    status(req, resp, 429, "access token " + access.token().id() + " sent more than " + rate.perSecond()
        + " requests a second (in bursts of up to " + rate.burst() + ") through the Tether proxy; try again in " + seconds
        + " s. The server's --proxy-requests-per-token and --proxy-request-burst-per-token set this limit");
  }

  /** The answer's code; 499 (as nginx logs it) when the client went away and Jetty already recycled the response. */
  private static int statusOf(HttpServletResponse resp) {
    try {
      return resp.getStatus();
    } catch (IllegalStateException recycled) {
      return 499;
    }
  }


  private void proxy(HttpServletRequest req, HttpServletResponse resp, AsyncContext async) {
    if (forwarder.isPresent() && forwardedElsewhere(req, resp)) {
      return;
    }
    ProxyAccess access;
    try {
      access = authorizer.authorize(req.getHeader("Authorization"));
    } catch (ProxyRefusal e) {
      log.info("Refused {} {} from {}: {}", req.getMethod(), req.getRequestURI(), req.getRemoteAddr(), e.getMessage());
      status(req, resp, e.status(), e.getMessage());
      return;
    }
    Optional<Duration> wait = perToken.tryTake(access.token().id());
    if (wait.isPresent()) {
      tooMany(req, resp, access, wait.get());
      return;
    }
    if (req.getRequestURI().equals(ProxyKubeconfig.ACCESS_PATH)) {
      describe(resp, access);
      return;
    }
    Map<String, List<String>> headers = headers(req);
    boolean upgrade = ProxyHeaders.isUpgrade(headers);
    if (upgrade && !ProtocolUpgrade.upgradable(req, headers)) {
      status(req, resp, 400, "a request that switches protocols (exec, attach, cp, port-forward) needs HTTP/1.1 and an Upgrade "
          + "header; kubectl sends both");
      return;
    }
    long length = req.getContentLengthLong();
    if (length > MAX_REQUEST_BYTES) {
      status(req, resp, 413, "the request body is " + length + " bytes; the proxy takes at most " + MAX_REQUEST_BYTES);
      return;
    }
    Tunnel tunnel;
    try {
      if (connections.of(access.agentName()).isEmpty()) {
        status(req, resp, 503, "agent '" + access.agentName() + "' is not connected to the server");
        return;
      }
      if (!connections.holdsHere(access.agentName(), replicaId)) {
        List<String> owners = connections.otherReplicasHolding(access.agentName(), replicaId);
        if (forwarder.isPresent() && upgrade) {
          forwarder.get().forwardUpgrade(req, resp, access.agentName(), owners);
        } else if (forwarder.isPresent()) {
          forwarder.get().forward(req, resp, access.agentName(), owners);
        } else {
          status(req, resp, 503, "agent '" + access.agentName() + "' is no longer connected to server replica " + replicaId
              + ", which another replica sent this request to; try again");
        }
        return;
      }
      Optional<Tunnel> taken = pool.take(access.agentName(), TUNNEL_WAIT);
      if (taken.isEmpty()) {
        status(req, resp, 503, "agent '" + access.agentName() + "' has no free tunnel: it is disconnected or serving too many requests");
        return;
      }
      tunnel = taken.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      status(req, resp, 503, "the server is stopping");
      return;
    }
    if (upgrade) {
      try {
        upgrades.forward(req, resp, access, headers, tunnel);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        tunnel.cancel("the server is stopping");
      }
      return;
    }
    AutoCloseable revocation = calls.register(access.token().id(), tunnel::cancel);
    async.addListener(new AsyncListener() {
      @Override public void onComplete(AsyncEvent event) { }
      @Override public void onTimeout(AsyncEvent event) { tunnel.cancel("the client timed out"); }
      @Override public void onError(AsyncEvent event) { tunnel.cancel("the client went away"); }
      @Override public void onStartAsync(AsyncEvent event) { }
    });
    try {
      TunnelExchange.run(req, resp, access, headers, tunnel);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      tunnel.cancel("the server is stopping");
    } finally {
      try {
        revocation.close();
      } catch (Exception e) {
        log.debug("releasing a revocation hook failed", e);
      }
    }
  }

  private static void describe(HttpServletResponse resp, ProxyAccess access) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("agent", access.agentName());
    body.put("caller", access.token().caller());
    // An empty user: the agent's own service account acts, without impersonation.
    String user = access.impersonation().getUser();
    body.put("impersonated_user", user.isEmpty() ? null : user);
    body.put("impersonated_groups", access.impersonation().getGroupsList());
    body.put("default_namespace", access.defaultNamespace().orElse(null));
    try {
      resp.setStatus(200);
      resp.setContentType("application/json");
      resp.getOutputStream().write(KubeStatus.JSON.writeValueAsBytes(body));
    } catch (IOException | IllegalStateException clientGone) {
      // nothing more to tell
    }
  }

  /** Discovery paths: /api, /api/v1, /apis, /apis/group, /apis/group/version, /version and /openapi/…. */
  static boolean isDiscovery(String path) {
    String[] segments = path.replaceAll("^/+|/+$", "").split("/+");
    return switch (segments[0]) {
      case "api" -> segments.length <= 2;
      case "apis" -> segments.length <= 3;
      case "version", "openapi" -> true;
      default -> false;
    };
  }

  /**
   * Sends the request to the replica that holds the agent's tunnels, when this one holds none: that
   * replica authorizes it (with the agent's configuration it serves) and counts it against the token's
   * rate, so this one only reads which agent the token names.
   */
  private boolean forwardedElsewhere(HttpServletRequest req, HttpServletResponse resp) {
    String authorization = req.getHeader("Authorization");
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    String presented = authorization.substring(7).strip();
    int colon = presented.indexOf(':');
    if (colon <= 0) {
      return false;
    }
    String agentName = presented.substring(0, colon);
    if (connections.holdsHere(agentName, replicaId)) {
      return false;
    }
    List<String> owners = connections.otherReplicasHolding(agentName, replicaId);
    if (owners.isEmpty()) {
      return false;
    }
    if (ProxyHeaders.isUpgrade(headers(req))) {
      forwarder.get().forwardUpgrade(req, resp, agentName, owners);
      return true;
    }
    forwarder.get().forward(req, resp, agentName, owners);
    return true;
  }

  private static Map<String, List<String>> headers(HttpServletRequest req) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (String name : Collections.list(req.getHeaderNames())) {
      if (name.equalsIgnoreCase(ReplicaForwarder.CREDENTIAL_HEADER)) {
        continue; // between replicas only, never for the agent
      }
      headers.put(name, new ArrayList<>(Collections.list(req.getHeaders(name))));
    }
    return headers;
  }

  static void status(HttpServletRequest req, HttpServletResponse resp, int code, String message) {
    if (code >= 500) {
      log.warn("Answering {}: {}", code, message);
    }
    try {
      resp.setStatus(code);
      if (code == 401) {
        resp.setHeader("WWW-Authenticate", "Bearer realm=\"tether\"");
      }
      if (code == 403 && isDiscovery(req.getRequestURI())) {
        // kubectl's discovery (client-go) reads an error body only when it is text, and shows it only for
        // 403; a Status object there becomes "Forbidden: unknown". Every kubectl command starts with
        // discovery, so a refused CI job would never learn why. (For 401 and 503 it prints fixed texts.)
        resp.setContentType("text/plain; charset=utf-8");
        resp.getOutputStream().write(message.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return;
      }
      resp.setContentType("application/json");
      resp.getOutputStream().write(KubeStatus.json(code, KubeStatus.reasonFor(code), message));
    } catch (IOException | IllegalStateException clientGone) {
      // nothing more to tell
    }
  }
}
