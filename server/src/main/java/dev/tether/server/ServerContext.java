package dev.tether.server;

import dev.tether.common.metrics.PrometheusMetrics;
import dev.tether.server.configuration.ConfigurationFanOut;
import dev.tether.server.configuration.ConfigurationHub;
import dev.tether.server.configuration.SharedConfigurationFanOut;
import dev.tether.server.connection.AgentConnections;
import dev.tether.server.connection.AgentDirectory;
import dev.tether.server.connection.ReplicatedAgentDirectory;
import dev.tether.server.replica.ReplicaCredentials;
import dev.tether.server.replica.ReplicaId;
import dev.tether.server.replica.ReplicaRegistry;
import dev.tether.server.store.AgentConnectionTable;
import dev.tether.server.store.DatabaseSettings;
import dev.tether.server.store.ReplicaTable;
import dev.tether.server.connection.InProcessOpenCalls;
import dev.tether.server.connection.OpenCalls;
import dev.tether.server.connection.RateLimits;
import dev.tether.server.connection.SharedOpenCalls;
import dev.tether.server.events.ChangeFeed;
import dev.tether.server.events.EventLog;
import dev.tether.server.git.FetchClaims;
import dev.tether.server.secrets.SecretBox;
import dev.tether.server.store.AccessToken;
import dev.tether.server.store.AgentToken;
import dev.tether.server.store.ChangeNotices;
import dev.tether.server.store.Database;
import dev.tether.server.store.PostgresFetchClaims;
import dev.tether.server.store.Store;
import dev.tether.server.tls.ServerTls;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every server module is built from: the settings, the store, the clock, meters and events, the
 * two listeners modules register on, and the state that server replicas must share, each behind a
 * small interface: on the embedded database an implementation that serves one process, on PostgreSQL
 * one that replicas share through the store and its {@link ChangeNotices}. Modules hand each other parts
 * (the Git mirrors, the renderers) through {@link #offer} and {@link #part}, in the order the server
 * lists them, and never reach into another module's internals.
 */
public final class ServerContext implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ServerContext.class);

  private final ServerSettings settings;
  private final Path dataDir;
  private final Clock clock = Clock.systemUTC();
  private final PrometheusMetrics metrics = new PrometheusMetrics("server");
  private final ServerTls.Material tls;
  private final Database database;
  private final Store store;
  private final EventLog events;
  private final ChangeFeed changes;
  private final AgentListener agentListener;
  private final HttpListener httpListener;
  private final ReplicaId replicaId = ReplicaId.random();
  private final AgentConnections localAgents = new AgentConnections();
  private final AgentDirectory agents;
  private final Optional<ReplicaRegistry> replicas;
  private final Optional<ChangeNotices> notices;
  private final OpenCalls calls;
  private final ConfigurationFanOut configurations;
  private final FetchClaims fetchClaims;
  private final RateLimits rateLimits = RateLimits.inProcess(clock);
  private final Map<Class<?>, Object> parts = new LinkedHashMap<>();

  private ServerContext(ServerSettings settings) {
    this.settings = settings;
    this.dataDir = settings.dataDir().toAbsolutePath();
    try {
      Files.createDirectories(dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the data dir " + dataDir, e);
    }
    tls = settings.tlsCertFile().isPresent()
        ? ServerTls.fromFiles(settings.tlsCertFile().get(), settings.tlsKeyFile().orElseThrow(() ->
            new IllegalArgumentException("a TLS certificate file needs its key file too")))
        : ServerTls.dev(dataDir, settings.devTlsHosts());
    // On PostgreSQL this server is one of any number of replicas; on H2 it is alone.
    database = Database.open(settings.database(), dataDir);
    log.info("State kept in {}", database.description());
    if (settings.database() instanceof DatabaseSettings.Postgres) {
      List<String> hosts = List.of(settings.replica().advertise()
          .map(a -> a.substring(0, a.lastIndexOf(':')).replaceAll("^\\[|]$", ""))
          .orElse(settings.replica().listen().getHostString()));
      replicas = Optional.of(new ReplicaRegistry(replicaId, ReplicaCredentials.create(replicaId, hosts),
          new ReplicaTable(database.dataSource()), clock));
      agents = new ReplicatedAgentDirectory(localAgents, new AgentConnectionTable(database.dataSource()), replicaId, clock);
    } else {
      replicas = Optional.empty();
      agents = localAgents;
    }
    try {
      store = Store.jdbc(database.dataSource(), SecretBox.fromKeyFile(dataDir.resolve("secret.key")));
      notices = database.ownConnections().map(connections ->
          new ChangeNotices(connections, database.dataSource(), replicaId.value(), Duration.ofMillis(200), Duration.ofSeconds(10)).start());
    } catch (RuntimeException e) {
      database.close();
      throw e;
    }
    if (notices.isPresent()) {
      log.info("Server replica {}: state shared with the other replicas on {}", replicaId, database.description());
      calls = new SharedOpenCalls(notices.get(), this::revokedOrGone);
      configurations = new SharedConfigurationFanOut(store.agents(), store.configStates(), notices.get());
      fetchClaims = new PostgresFetchClaims(database.dataSource(), replicaId.value());
    } else {
      calls = new InProcessOpenCalls();
      configurations = new ConfigurationHub();
      fetchClaims = FetchClaims.ONE_SERVER;
    }
    events = new EventLog(store.events(), clock);
    changes = new ChangeFeed(notices);
    events.tellChanges(changes);
    agentListener = new AgentListener(settings.agentAddress(), tls);
    httpListener = new HttpListener(settings.httpAddress());
  }

  /** Opens the data dir, the TLS material and the database. */
  static ServerContext open(ServerSettings settings) {
    return new ServerContext(settings);
  }

  public ServerSettings settings() {
    return settings;
  }

  /** Change notices between replicas: present when the database is shared (PostgreSQL), empty for one server alone. */
  public Optional<ChangeNotices> notices() {
    return notices;
  }

  /** The server's own folder (absolute): mirrors, render workspaces, keys, the embedded database. */
  public Path dataDir() {
    return dataDir;
  }

  public Clock clock() {
    return clock;
  }

  public ServerTls.Material tls() {
    return tls;
  }

  public Store store() {
    return store;
  }

  public PrometheusMetrics metrics() {
    return metrics;
  }

  public MeterRegistry meters() {
    return metrics.registry();
  }

  /** "Something about this agent changed", for the web UI's live view; every replica hears every replica's changes. */
  public ChangeFeed changes() {
    return changes;
  }

  /** Where modules record what users should see in {@code tether admin events}. */
  public EventLog events() {
    return events;
  }

  /** Where modules add the gRPC services agents call. */
  public AgentListener agentListener() {
    return agentListener;
  }

  /** Where modules add HTTP routes. */
  public HttpListener httpListener() {
    return httpListener;
  }

  /** This server among the replicas on one database (random at every start). */
  public ReplicaId replicaId() {
    return replicaId;
  }

  /** Shared state: the live connections of every agent, on every replica, and which of them applies its GitOps. */
  public AgentDirectory agents() {
    return agents;
  }

  /** The agents connected to this server itself, which the connection module admits and gives their GitOps role. */
  public AgentConnections localAgents() {
    return localAgents;
  }

  /** The other server replicas on the database and how to reach them; empty on H2, where a server is alone. */
  public Optional<ReplicaRegistry> replicas() {
    return replicas;
  }

  /** Shared state: the open calls of each token, ended when the token is revoked, and revocation notices. */
  public OpenCalls calls() {
    return calls;
  }

  /** Shared state: each agent's current configuration, and its fan-out to the agent's open streams. */
  public ConfigurationFanOut configurations() {
    return configurations;
  }

  /** Shared state: which server fetches a project in a poll interval. */
  public FetchClaims fetchClaims() {
    return fetchClaims;
  }

  /** Shared state: the counts behind rate limits (connections per token, proxied requests per access token). */
  public RateLimits rateLimits() {
    return rateLimits;
  }

  /** Makes a part of the module being built available to the modules listed after it. */
  public <T> void offer(Class<T> type, T part) {
    if (parts.putIfAbsent(type, part) != null) {
      throw new IllegalStateException("two modules offer a " + type.getSimpleName() + "; list only one of them");
    }
  }

  /** A part an earlier module offered. */
  public <T> T part(Class<T> type) {
    Object part = parts.get(type);
    if (part == null) {
      throw new IllegalStateException("a server module needs a " + type.getSimpleName()
          + ", which no module listed before it offers: list the module that makes it first");
    }
    return type.cast(part);
  }

  private boolean revokedOrGone(String tokenId) {
    return store.tokens().find(tokenId).map(AgentToken::revokedAt).or(() -> store.accessTokens().find(tokenId).map(AccessToken::revokedAt))
        .map(Optional::isPresent).orElse(true);
  }

  /** Closes the database and the meters, after every module stopped. */
  @Override
  public void close() {
    changes.close();
    notices.ifPresent(ChangeNotices::close);
    if (configurations instanceof SharedConfigurationFanOut shared) {
      shared.close();
    }
    if (fetchClaims instanceof PostgresFetchClaims claims) {
      try {
        claims.releaseAll();
      } catch (RuntimeException e) {
        log.warn("Could not release this replica's fetch claims; they lapse within a poll interval: {}", e.toString());
      }
    }
    if (agents instanceof ReplicatedAgentDirectory replicated) {
      replicated.close();
    }
    try {
      database.close();
    } catch (RuntimeException e) {
      log.warn("Error while closing the database: {}", e.toString());
    }
    metrics.close();
  }
}
