package dev.tether.server.kubeproxy;

import dev.tether.common.kubeproxy.ProxyHeaders;
import dev.tether.server.replica.ReplicaRegistry;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.server.HttpStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Passes a request that switches protocols (kubectl exec, attach, cp, port-forward) to a replica that
 * holds a tunnel of its agent, when it reached one that holds none. {@link ReplicaForwarder}'s HTTP
 * client cannot hand over its connection after a 101, so this speaks HTTP/1.1 itself on a TLS socket to
 * that replica's internal listener, trusting only the certificate it published and presenting this
 * replica's credential, as the forwarder does. The original request head goes as it came, its
 * Authorization included: the other replica authorizes it and switches protocols as if kubectl had
 * come to it. A 101 goes back to the client and its connection becomes a {@link ReplicaPipe} to the
 * socket; any other answer goes back whole, and the client's connection closes after it.
 */
final class ReplicaUpgradeHop {
  private static final Logger log = LoggerFactory.getLogger(ReplicaUpgradeHop.class);
  private static final int CONNECT_MILLIS = 3_000;
  // The other replica waits up to 60 s for the agent's answer (ProtocolUpgrade): a little longer here.
  private static final int HEAD_MILLIS = 65_000;
  // Jetty upgrades the client's connection as soon as the 101 is written; one not upgraded by then never will be.
  private static final long UPGRADE_SECONDS = 30;
  private static final ScheduledExecutorService UNUPGRADED = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "replica-hop-unupgraded");
    t.setDaemon(true);
    return t;
  });
  private final ReplicaRegistry replicas;

  ReplicaUpgradeHop(ReplicaRegistry replicas) {
    this.replicas = replicas;
  }

  /** Tries {@code owners} (replica ids, newest connection first) in turn; one that refuses the connection is skipped. */
  void forward(HttpServletRequest req, HttpServletResponse resp, String agentName, List<String> owners) {
    // Read now: once the response completes, Jetty recycles the request.
    ServletContextRequest request = ServletContextRequest.getServletContextRequest(req);
    String what = req.getMethod() + " " + req.getRequestURI() + " for agent '" + agentName + "'";
    String lastProblem = "no live replica holds a tunnel of the agent";
    for (String owner : owners) {
      Optional<ReplicaRegistry.Replica> replica = replicas.live(owner);
      if (replica.isEmpty()) {
        continue;
      }
      SSLSocket socket;
      try {
        socket = connect(replica.get());
      } catch (IOException e) {
        lastProblem = "replica " + owner + " at " + replica.get().address() + " refused the connection";
        log.info("Cannot reach server replica {} at {} for agent '{}': {}", owner, replica.get().address(), agentName, e.toString());
        continue;
      }
      try {
        OutputStream out = socket.getOutputStream();
        out.write(head(req, replica.get()));
        out.flush();
        socket.setSoTimeout(HEAD_MILLIS);
        ResponseHead answer = ResponseHead.read(socket.getInputStream());
        socket.setSoTimeout(0); // a shell may wait for a key for hours
        if (answer.status() != 101) {
          log.info("{} through server replica {}: answered {} instead of switching protocols", what, owner, answer.status());
          passBack(resp, answer, socket);
          return;
        }
        ReplicaPipe pipe = new ReplicaPipe(request.getConnectionMetaData().getConnection().getEndPoint(),
            request.getConnectionMetaData().getConnector().getExecutor(), socket, what + " through server replica " + owner);
        resp.setStatus(101);
        ProxyHeaders.switched(answer.headers()).forEach((name, values) -> values.forEach(v -> resp.addHeader(name, v)));
        resp.setHeader("Connection", "Upgrade");
        // Once the 101 is written, Jetty hands the client's socket to the pipe (as ProtocolUpgrade does with UpgradedClient).
        request.setAttribute(HttpStream.UPGRADE_CONNECTION_ATTRIBUTE, pipe);
        UNUPGRADED.schedule(pipe::closeUnlessOpened, UPGRADE_SECONDS, TimeUnit.SECONDS);
        log.debug("{}: switched protocols through server replica {}", what, owner);
        return;
      } catch (IOException e) {
        close(socket);
        closeAfter(resp);
        ProxyServlet.status(req, resp, 503, ReplicaForwarder.unavailable(agentName, "replica " + owner + " at "
            + replica.get().address() + " that holds its tunnel stopped answering (" + e.getMessage() + ")"));
        return;
      }
    }
    ProxyServlet.status(req, resp, 503, ReplicaForwarder.unavailable(agentName, lastProblem));
  }

  private SSLSocket connect(ReplicaRegistry.Replica replica) throws IOException {
    SSLContext pinned = replicas.calls().tls(replica);
    int colon = replica.address().lastIndexOf(':');
    InetSocketAddress address = new InetSocketAddress(replica.address().substring(0, colon).replaceAll("^\\[|]$", ""),
        Integer.parseInt(replica.address().substring(colon + 1)));
    Socket raw = new Socket();
    try {
      raw.connect(address, CONNECT_MILLIS);
      raw.setTcpNoDelay(true); // a shell's keystrokes go as they are typed
      raw.setKeepAlive(true);
      SSLSocket tls = (SSLSocket) pinned.getSocketFactory().createSocket(raw, address.getHostString(), address.getPort(), true);
      tls.setSoTimeout(CONNECT_MILLIS);
      tls.startHandshake();
      return tls;
    } catch (IOException e) {
      close(raw);
      throw e;
    }
  }

  /** The original request head, without a body (upgrades carry none), with this replica's credential. */
  private byte[] head(HttpServletRequest req, ReplicaRegistry.Replica replica) {
    StringBuilder head = new StringBuilder().append(req.getMethod()).append(' ').append(req.getRequestURI())
        .append(req.getQueryString() == null ? "" : "?" + req.getQueryString()).append(" HTTP/1.1\r\n")
        .append("Host: ").append(replica.address()).append("\r\n");
    for (String name : Collections.list(req.getHeaderNames())) {
      if (!ReplicaForwarder.NOT_FORWARDED.contains(name.toLowerCase(Locale.ROOT))) {
        Collections.list(req.getHeaders(name)).forEach(v -> head.append(name).append(": ").append(v).append("\r\n"));
      }
    }
    Collections.list(req.getHeaders("Upgrade")).forEach(v -> head.append("Upgrade: ").append(v).append("\r\n"));
    head.append("Connection: Upgrade\r\n")
        .append(ReplicaForwarder.CREDENTIAL_HEADER).append(": ").append(replicas.self().value()).append(' ')
        .append(replicas.credentials().secret()).append("\r\n\r\n");
    return head.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  /** The other replica's answer other than 101 (403 for an identity without pods/exec, 400, …), passed on whole. */
  private static void passBack(HttpServletResponse resp, ResponseHead answer, Socket socket) {
    try (socket) {
      resp.setStatus(answer.status());
      ProxyHeaders.response(answer.headers()).forEach((name, values) -> values.forEach(v -> resp.addHeader(name, v)));
      closeAfter(resp);
      answer.copyBody(socket.getInputStream(), resp.getOutputStream());
    } catch (IOException | IllegalStateException e) {
      // The client went away, or the replica's answer broke off: either way the client's connection closes.
      log.debug("Passing back a replica's refusal of an upgrade ended early: {}", e.toString());
    }
  }

  private static void closeAfter(HttpServletResponse resp) {
    try {
      resp.setHeader("Connection", "close");
    } catch (IllegalStateException recycled) {
      // the client went away
    }
  }

  private static void close(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }
}
