package dev.tether.server;

import dev.tether.common.TetherVersion;
import dev.tether.common.metrics.PrometheusMetrics;
import dev.tether.server.configuration.ConfigurationHub;
import dev.tether.server.events.EventLog;
import dev.tether.server.configuration.ConfigurationReader;
import dev.tether.server.configuration.ConfigurationService;
import dev.tether.server.connection.AgentAuthentication;
import dev.tether.server.connection.OpenCalls;
import dev.tether.server.connection.AgentConnections;
import dev.tether.server.connection.ConnectionService;
import dev.tether.server.git.ProjectMirrors;
import dev.tether.server.git.GitPoller;
import dev.tether.server.gitops.GitopsService;
import dev.tether.server.gitops.ManifestDistribution;
import dev.tether.server.gitops.ManifestSelector;
import dev.tether.server.gitops.RenderedSources;
import dev.tether.server.render.KustomizeProgram;
import dev.tether.server.render.HelmRenderer;
import dev.tether.server.charts.ChartRepositories;
import dev.tether.server.store.ChartRepository;
import dev.tether.server.render.KustomizeRenderer;
import dev.tether.server.render.RenderLimits;
import dev.tether.server.http.AdminToken;
import dev.tether.server.http.HttpApi;
import dev.tether.server.kubeproxy.KubeProxyListener;
import dev.tether.server.registry.Registry;
import dev.tether.server.secrets.SecretBox;
import dev.tether.server.store.Database;
import dev.tether.server.store.Store;
import dev.tether.server.tls.ServerTls;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.javalin.Javalin;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The Tether server: assembles the features, their listeners and their lifecycle. */
public final class TetherServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TetherServer.class);
  private static final int MAX_AGENT_MESSAGE_BYTES = 16 * 1024 * 1024;

  private final ServerSettings settings;
  private final Clock clock = Clock.systemUTC();
  private final Deque<AutoCloseable> toClose = new ArrayDeque<>();
  private Javalin http;
  private Server agentListener;
  private ServerTls.Material tls;
  private AdminToken adminToken;
  private Store store;
  private AgentConnections connections;
  private KubeProxyListener kubeProxy;
  private final PrometheusMetrics metrics = new PrometheusMetrics("server");
  private EventLog events;
  private final ExecutorService agentCalls = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "agent-calls");
    t.setDaemon(true);
    return t;
  });

  public TetherServer(ServerSettings settings) {
    this.settings = settings;
  }

  public TetherServer start() {
    try {
      startParts();
      return this;
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  private void startParts() {
    Path dataDir = settings.dataDir().toAbsolutePath();
    try {
      Files.createDirectories(dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the data dir " + dataDir, e);
    }
    tls = settings.tlsCertFile().isPresent()
        ? ServerTls.fromFiles(settings.tlsCertFile().get(), settings.tlsKeyFile().orElseThrow(() ->
            new IllegalArgumentException("a TLS certificate file needs its key file too")))
        : ServerTls.dev(dataDir, settings.devTlsHosts());
    adminToken = AdminToken.loadOrCreate(dataDir.resolve("admin-token"));

    Database database = Database.open(settings.database(), dataDir);
    toClose.push(metrics);
    toClose.push(database);
    log.info("State kept in {}", database.description());
    store = Store.jdbc(database.dataSource(), SecretBox.fromKeyFile(dataDir.resolve("secret.key")));

    ProjectMirrors mirrors = new ProjectMirrors(dataDir.resolve("git"), settings.gitTimeout(), settings.gitUrls());
    toClose.push(mirrors);
    events = new EventLog(store.events(), clock);
    toClose.push(writeEventSummaries(events));
    GitPoller poller = new GitPoller(store.projects(), mirrors, settings.pollInterval(), 4, clock, events, metrics.registry());
    toClose.push(poller);

    ConfigurationHub hub = new ConfigurationHub();
    ConfigurationReader configReader = new ConfigurationReader(store, mirrors, hub, clock, events, metrics.registry());
    configReader.restore();
    poller.keepFetched(configReader::configProjects);
    poller.addListener(configReader);

    // Chart repositories are reached under the same host rules as Git hosts, with the credentials the store holds sealed.
    ChartRepositories charts = new ChartRepositories(dataDir.resolve("charts"), settings.gitUrls(),
        url -> store.chartRepositories().find(url).map(ChartRepository::credentials),
        ChartRepositories.Settings.DEFAULT, clock);
    RenderedSources rendered = new RenderedSources(RenderedSources.trees(mirrors), List.of(new KustomizeRenderer(
        new KustomizeProgram(settings.kustomizePath()), dataDir.resolve("render"), RenderLimits.DEFAULT),
        new HelmRenderer(dataDir.resolve("helm-render"), RenderLimits.DEFAULT, charts)), RenderLimits.DEFAULT, clock,
        metrics.registry(), ChartRepositories.Settings.DEFAULT.indexTtl());
    ManifestDistribution manifests = new ManifestDistribution(new ManifestSelector(mirrors, ManifestSelector.Limits.DEFAULT),
        rendered, hub, store.projects(), poller::fetchUnlessRunning);
    poller.keepFetched(manifests::manifestProjects);
    poller.addListener(manifests);

    connections = new AgentConnections();
    OpenCalls calls = new OpenCalls();
    AgentAuthentication auth = new AgentAuthentication(store.tokens(), clock, calls, settings.agentConnectRates(), events);
    Registry registry = new Registry(store, calls, poller, settings.gitUrls(), clock, events);

    kubeProxy = new KubeProxyListener(resolve(settings.kubeProxyAddress()), tls, store, hub, connections, calls, clock, metrics.registry(),
        settings.proxyRequestRate());
    toClose.push(kubeProxy);
    agentListener = startAgentListener(auth,
        kubeProxy.tunnels(),
        new ConnectionService(connections, calls, store.agents(), clock, events, metrics.registry()),
        new ConfigurationService(hub, calls),
        new GitopsService(manifests, hub, store.gitops(), calls, clock, events, metrics.registry(), connections));
    http = new HttpApi(store, registry, connections, poller, adminToken, metrics,
        () -> new HttpApi.Endpoints(agentAddress().getHostString() + ":" + agentAddress().getPort(), kubeProxyUrl(), tls.devCaFile()),
        manifests).create();
    InetSocketAddress at = settings.httpAddress();
    http.start(at.getHostString(), at.getPort());
    kubeProxy.start();
    poller.start();

    log.info("Tether server {} ready: agents connect to {} (TLS), HTTP API on {}, Kubernetes API proxy on {}, data in {}",
        TetherVersion.get(), agentAddress(), httpUrl(), kubeProxyUrl(), dataDir);
    tls.devCaFile().ifPresent(ca -> log.info("Development TLS: agents must trust {} (tether agent --ca-file {})", ca, ca));
    log.info("Admin token for `tether admin` commands: {}", adminToken.file());
    log.info("Projects may use these Git URLs: {}", settings.gitUrls());
  }

  /** Folded repeats (an agent reconnecting in a loop) are summed up when their window ends, and all of them at shutdown. */
  private static AutoCloseable writeEventSummaries(EventLog events) {
    ScheduledExecutorService summaries = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "event-summaries");
      t.setDaemon(true);
      return t;
    });
    summaries.scheduleWithFixedDelay(events::writeSummaries, 10, 10, TimeUnit.SECONDS);
    return () -> {
      summaries.shutdown();
      summaries.awaitTermination(5, TimeUnit.SECONDS);
      events.flushSummaries();
    };
  }

  private Server startAgentListener(AgentAuthentication auth, io.grpc.BindableService... services) {
    InetSocketAddress requested = settings.agentAddress();
    try {
      NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(requested.getHostString(), requested.getPort()),
              TlsServerCredentials.create(tls.certFile().toFile(), tls.keyFile().toFile()))
          .keepAliveTime(30, TimeUnit.SECONDS)
          .keepAliveTimeout(10, TimeUnit.SECONDS)
          // Agents ping to find dead connections through proxies; let them.
          .permitKeepAliveTime(10, TimeUnit.SECONDS)
          .permitKeepAliveWithoutCalls(true)
          .maxInboundMessageSize(MAX_AGENT_MESSAGE_BYTES)
          // Our own pool, so close() can wait for the last callbacks (a disconnect event) before the store closes.
          .executor(agentCalls)
          // Tunnel callbacks only hand messages on; running them on the transport thread saves a thread switch per message.
          .callExecutor(new io.grpc.ServerCallExecutorSupplier() {
            @Override
            public <Q, R> java.util.concurrent.Executor getExecutor(io.grpc.ServerCall<Q, R> call, io.grpc.Metadata headers) {
              return call.getMethodDescriptor().getFullMethodName().equals("tether.v1.KubeProxy/Tunnel") ? Runnable::run : null;
            }
          });
      for (io.grpc.BindableService service : services) {
        builder.addService(ServerInterceptors.intercept(service, auth));
      }
      return builder.build().start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen for agents on " + requested + ": " + e.getMessage(), e);
    }
  }

  /** Where agents connect, with the port actually bound. */
  public InetSocketAddress agentAddress() {
    return new InetSocketAddress(settings.agentAddress().getHostString(), agentListener.getPort());
  }

  /** The Kubernetes API proxy's URL, for kubeconfigs. */
  public String kubeProxyUrl() {
    String host = settings.kubeProxyAddress().getHostString();
    return "https://" + (host.equals("0.0.0.0") ? "localhost" : host) + ":" + kubeProxy.port();
  }

  private static InetSocketAddress resolve(InetSocketAddress address) {
    return new InetSocketAddress(address.getHostString(), address.getPort());
  }

  /** The HTTP listener's base URL, with the port actually bound (useful when 0 was asked for). */
  public String httpUrl() {
    return "http://" + settings.httpAddress().getHostString() + ":" + http.port();
  }

  /** The development CA's certificate file, when the server made its own TLS certificate. */
  public java.util.Optional<Path> devCaFile() {
    return tls.devCaFile();
  }

  public Path adminTokenFile() {
    return adminToken.file();
  }

  public Store store() {
    return store;
  }

  public AgentConnections connections() {
    return connections;
  }

  /** Stops taking agents and requests, lets open calls end for a moment, then releases everything. */
  @Override
  public void close() {
    if (agentListener != null) {
      agentListener.shutdown();
      try {
        if (!agentListener.awaitTermination(2, TimeUnit.SECONDS)) {
          agentListener.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        agentListener.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    agentCalls.shutdown();
    try {
      if (!agentCalls.awaitTermination(5, TimeUnit.SECONDS)) {
        log.warn("Agent calls still running after 5 s; closing anyway");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (http != null) {
      http.stop();
    }
    while (!toClose.isEmpty()) {
      try {
        toClose.pop().close();
      } catch (Exception e) {
        log.warn("Error while shutting down: {}", e.toString());
      }
    }
  }
}
