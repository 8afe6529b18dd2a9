package dev.tether.server.kubeproxy;

import dev.tether.server.replica.ReplicaCalls;
import dev.tether.server.replica.ReplicaRegistry;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The internal listener where other replicas send kubectl requests for agents connected here, and
 * their own {@linkplain ReplicaCalls calls} (the web UI's live reads, source commands): TLS with
 * this replica's own certificate, and only for callers that present the id and secret of a live
 * replica. The request is then served as if it came from kubectl (authorized again from its own
 * Authorization), by a proxy that never forwards. Requests that switch protocols arrive here too
 * ({@link ReplicaUpgradeHop}) and are upgraded on this listener's connection as on the proxy's own.
 */
final class ReplicaEntrance implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReplicaEntrance.class);

  private final Server jetty;

  ReplicaEntrance(InetSocketAddress address, ReplicaRegistry replicas, ProxyServlet proxy) {
    jetty = new Server(new QueuedThreadPool(200, 4, 60_000));
    HttpConfiguration https = new HttpConfiguration();
    https.setSendServerVersion(false);
    https.addCustomizer(new SecureRequestCustomizer(false));
    SslContextFactory.Server ssl = new SslContextFactory.Server();
    ssl.setKeyStore(replicas.credentials().keyStore());
    ssl.setKeyStorePassword("");
    ssl.setSniRequired(false);
    HttpConnectionFactory http1 = new HttpConnectionFactory(https);
    ServerConnector connector = new ServerConnector(jetty, new SslConnectionFactory(ssl, http1.getProtocol()), http1);
    connector.setHost(address.getHostString());
    connector.setPort(address.getPort());
    connector.setIdleTimeout(TimeUnit.HOURS.toMillis(1)); // forwarded watches are quiet for long stretches too
    jetty.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    ServletHolder holder = new ServletHolder(new HttpServlet() {
      @Override
      protected void service(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
        String credential = req.getHeader(ReplicaForwarder.CREDENTIAL_HEADER);
        int space = credential == null ? -1 : credential.indexOf(' ');
        if (space <= 0 || !replicas.verifies(credential.substring(0, space), credential.substring(space + 1))) {
          log.warn("Refused an internal request from {}: it carries no valid credential of a live server replica", req.getRemoteAddr());
          ProxyServlet.status(req, resp, 401, "this is a Tether server replica's internal listener: only the other replicas of "
              + "this server may call it, with their credential. kubectl goes to the Kubernetes API proxy");
          return;
        }
        if (ReplicaCalls.isCall(req)) {
          replicas.calls().answer(req, resp);
        } else {
          proxy.service(req, resp);
        }
      }
    });
    holder.setAsyncSupported(true);
    context.addServlet(holder, "/*");
    jetty.setHandler(context);
  }

  void start() {
    try {
      jetty.start();
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the replica's internal listener: " + e.getMessage()
          + "; choose another --replica-listen address", e);
    }
  }

  int port() {
    return ((ServerConnector) jetty.getConnectors()[0]).getLocalPort();
  }

  @Override
  public void close() {
    try {
      jetty.stop();
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop the replica's internal listener", e);
    }
  }
}
