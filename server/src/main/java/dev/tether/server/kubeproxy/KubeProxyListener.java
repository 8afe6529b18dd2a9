package dev.tether.server.kubeproxy;

import dev.tether.common.tls.Pem;
import dev.tether.server.configuration.ConfigurationFanOut;
import dev.tether.server.connection.OpenCalls;
import dev.tether.server.connection.RateLimits;
import dev.tether.server.connection.AgentDirectory;
import dev.tether.server.connection.RateLimiter;
import dev.tether.server.replica.ReplicaId;
import dev.tether.server.replica.ReplicaRegistry;
import java.time.Duration;
import java.util.Optional;
import dev.tether.server.store.Store;
import dev.tether.server.tls.ServerTls;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The Kubernetes API proxy's HTTPS listener (HTTP/1.1 and HTTP/2), and the gRPC service through
 * which agents offer their tunnels.
 */
public final class KubeProxyListener implements AutoCloseable {
  private static final int MAX_CONCURRENT_REQUESTS = 1000;
  // Access tokens whose request rate is tracked at once; past that, new ones share one bucket (see RateLimits).
  private static final int MAX_TRACKED_TOKENS = 100_000;

  private final String host;
  private final Server jetty;
  private final ExecutorService requests;
  private final KubeProxyService tunnels;
  private final Optional<ReplicaEntrance> entrance;
  private final ClusterReads reads;

  public KubeProxyListener(InetSocketAddress address, ServerTls.Material tls, Store store, ConfigurationFanOut configurations,
      AgentDirectory connections, OpenCalls calls, Clock clock, io.micrometer.core.instrument.MeterRegistry meters, RateLimits limits,
      ProxyRequestRate rate, ReplicaId replicaId, Optional<ReplicaRegistry> replicas, InetSocketAddress replicaListen,
      IdTokenVerifier idTokens) {
    this.host = address.getHostString();
    TunnelPool pool = new TunnelPool();
    this.tunnels = new KubeProxyService(pool, calls, meters);
    this.reads = new ClusterReads(pool, connections, replicaId.value(), replicas.map(ReplicaRegistry::calls));
    this.requests = new ThreadPoolExecutor(0, MAX_CONCURRENT_REQUESTS, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
      Thread t = new Thread(r, "kube-proxy");
      t.setDaemon(true);
      return t;
    });
    ProxyAuthorizer authorizer = new ProxyAuthorizer(store.accessTokens(), store.agents(), configurations, clock, idTokens);
    calls.onRevocation(tokenId -> authorizer.forget());

    jetty = new Server(new QueuedThreadPool(200, 8, 60_000));
    HttpConfiguration https = new HttpConfiguration();
    https.setSendServerVersion(false);
    https.addCustomizer(new SecureRequestCustomizer(false));
    HttpConnectionFactory http1 = new HttpConnectionFactory(https);
    HTTP2ServerConnectionFactory http2 = new HTTP2ServerConnectionFactory(https);
    ALPNServerConnectionFactory alpn = new ALPNServerConnectionFactory();
    alpn.setDefaultProtocol(http1.getProtocol());
    SslContextFactory.Server ssl = new SslContextFactory.Server();
    ssl.setKeyStore(keyStore(tls));
    ssl.setKeyStorePassword("");
    ssl.setSniRequired(false);
    ServerConnector connector = new ServerConnector(jetty, new SslConnectionFactory(ssl, alpn.getProtocol()), alpn, http2, http1);
    connector.setHost(address.getHostString());
    connector.setPort(address.getPort());
    connector.setIdleTimeout(TimeUnit.HOURS.toMillis(1)); // watches are quiet for long stretches
    jetty.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    RateLimiter perToken = limits.limiter("proxied requests per access token", rate.perSecond(), rate.burst(), MAX_TRACKED_TOKENS);
    ServletHolder proxy = new ServletHolder(new ProxyServlet(authorizer, pool, connections, calls, requests, meters, perToken, rate,
        replicaId.value(), replicas.map(ReplicaForwarder::new)));
    // Forwarded requests are authorized and counted here, where the agent's tunnels are, and never forwarded again.
    this.entrance = replicas.map(registry -> new ReplicaEntrance(replicaListen, registry, new ProxyServlet(authorizer, pool,
        connections, calls, requests, meters, perToken, rate, replicaId.value(), Optional.empty())));
    proxy.setAsyncSupported(true);
    context.addServlet(proxy, "/*");
    jetty.setHandler(context);
  }

  public KubeProxyService tunnels() {
    return tunnels;
  }

  /** The server's own read-only requests to agents' clusters, through the same tunnels. */
  public ClusterReads reads() {
    return reads;
  }

  public void start() {
    try {
      jetty.start();
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the Kubernetes API proxy: " + e.getMessage(), e);
    }
    entrance.ifPresent(ReplicaEntrance::start);
  }

  /** The port of the internal listener for forwarded requests (replicas on PostgreSQL only). */
  int replicaPort() {
    return entrance.orElseThrow().port();
  }

  public int port() {
    return ((ServerConnector) jetty.getConnectors()[0]).getLocalPort();
  }

  /** The proxy's URL, for kubeconfigs, with the port actually bound. */
  public String url() {
    return "https://" + (host.equals("0.0.0.0") ? "localhost" : host) + ":" + port();
  }

  @Override
  public void close() {
    try {
      entrance.ifPresent(ReplicaEntrance::close);
      jetty.stop();
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop the Kubernetes API proxy", e);
    } finally {
      requests.shutdownNow();
    }
  }

  private static KeyStore keyStore(ServerTls.Material tls) {
    try {
      CertificateFactory certificates = CertificateFactory.getInstance("X.509");
      Certificate[] chain = certificates.generateCertificates(new ByteArrayInputStream(Files.readAllBytes(tls.certFile())))
          .toArray(Certificate[]::new);
      PrivateKey key = Pem.readPrivateKey(Files.readString(tls.keyFile(), StandardCharsets.US_ASCII));
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("tether", key, new char[0], chain);
      return store;
    } catch (Exception e) {
      throw new IllegalStateException("cannot load the TLS certificate for the Kubernetes API proxy: " + e.getMessage(), e);
    }
  }
}
