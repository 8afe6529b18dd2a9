package dev.tether.bench;

import dev.tether.agent.connection.BearerToken;
import dev.tether.agent.connection.ReconnectPolicy;
import dev.tether.common.config.AgentConfig;
import dev.tether.common.config.ConfigParser;
import dev.tether.common.config.GitRef;
import dev.tether.common.config.InvalidConfigException;
import dev.tether.common.config.ManifestProject;
import dev.tether.common.gitops.SourceMessages;
import dev.tether.proto.v1.AgentConnectionGrpc;
import dev.tether.proto.v1.AgentInfo;
import dev.tether.proto.v1.AgentMessage;
import dev.tether.proto.v1.ConfigurationGrpc;
import dev.tether.proto.v1.ConfigurationUpdate;
import dev.tether.proto.v1.GitRefSpec;
import dev.tether.proto.v1.GitopsAgentMessage;
import dev.tether.proto.v1.GitopsGrpc;
import dev.tether.proto.v1.GitopsServerMessage;
import dev.tether.proto.v1.Heartbeat;
import dev.tether.proto.v1.ManifestsRequest;
import dev.tether.proto.v1.ServerMessage;
import dev.tether.proto.v1.Welcome;
import dev.tether.proto.v1.WatchConfigurationRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One agent as the server sees it, without a cluster: its own TLS connection and token, the session
 * (AgentInfo, Welcome, heartbeats), the configuration stream and one GitOps stream for the manifest
 * project its configuration names, opened as the real agent opens them, with the real agent's
 * {@link ReconnectPolicy}. It applies nothing: it keeps
 * what it received and the time it arrived, for {@link SimulatedFleet} to count.
 */
final class SimulatedAgent {
  private static final Duration WELCOME_TIMEOUT = Duration.ofSeconds(30);

  private final String name;
  private final BearerToken token;
  private final ManagedChannel channel;
  private final SimulatedFleet fleet;
  private final ReconnectPolicy reconnects = ReconnectPolicy.forAgent();
  // Whether the server welcomed the current session: a session that was established resets the backoff.
  private boolean welcomedThisSession;

  // Everything below is guarded by this object; a session's callbacks that arrive after it ended see another number and do nothing.
  private int session;
  private boolean stopped;
  private String connectionId;
  private ClientCallStreamObserver<AgentMessage> toServer;
  private ClientCallStreamObserver<WatchConfigurationRequest> configuration;
  private ClientCallStreamObserver<GitopsAgentMessage> gitops;
  private Streams<GitopsAgentMessage, GitopsServerMessage> gitopsStreams;
  private ManifestsRequest gitopsRequest;
  // What the last configuration asks to stream, without the session's connection id.
  private ManifestsRequest desired;
  private ScheduledFuture<?> heartbeats;
  private String knownCommit = "";
  private String knownDigest = "";
  private boolean dialedOnce;

  private volatile String configCommit = "";
  private volatile long configArrivedNanos;
  private volatile boolean manifestsCurrent;

  SimulatedAgent(String name, String token, ManagedChannel channel, SimulatedFleet fleet) {
    this.name = name;
    this.token = new BearerToken(token);
    this.channel = channel;
    this.fleet = fleet;
  }

  String name() {
    return name;
  }

  /** The commit of the configuration it holds, and when it arrived (System.nanoTime). */
  String configCommit() {
    return configCommit;
  }

  long configArrivedNanos() {
    return configArrivedNanos;
  }

  /** Welcomed, with its configuration and the manifests of its current session. */
  synchronized boolean ready() {
    return connectionId != null && !configCommit.isEmpty() && manifestsCurrent;
  }

  synchronized void connect() {
    if (stopped) {
      return;
    }
    int current = ++session;
    // gRPC would wait out its own reconnect backoff otherwise; ours has just done the waiting.
    channel.resetConnectBackoff();
    AgentConnectionGrpc.newStub(channel).withCallCredentials(token).connect(new ClientResponseObserver<AgentMessage, ServerMessage>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<AgentMessage> requests) {
        toServer = requests;
      }

      @Override
      public void onNext(ServerMessage message) {
        if (message.getKindCase() == ServerMessage.KindCase.WELCOME) {
          welcomed(current, message.getWelcome());
        }
      }

      @Override
      public void onError(Throwable t) {
        ended(current, t);
      }

      @Override
      public void onCompleted() {
        ended(current, Status.UNAVAILABLE.withDescription("the server ended the session").asRuntimeException());
      }
    });
    toServer.onNext(AgentMessage.newBuilder().setInfo(AgentInfo.newBuilder().setVersion("bench-simulated")).build());
    fleet.timers().schedule(() -> {
      synchronized (this) {
        if (session == current && connectionId == null) {
          toServer.cancel("no welcome within " + WELCOME_TIMEOUT.toSeconds() + " s", null);
        }
      }
    }, WELCOME_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }

  private synchronized void welcomed(int current, Welcome welcome) {
    if (session != current) {
      return;
    }
    connectionId = welcome.getConnectionId();
    welcomedThisSession = true;
    firstDialDone();
    fleet.welcomed();
    long interval = fleet.heartbeatInterval().toMillis();
    ClientCallStreamObserver<AgentMessage> sink = toServer;
    heartbeats = fleet.timers().scheduleAtFixedRate(() -> {
      synchronized (this) {
        if (session == current) {
          sink.onNext(AgentMessage.newBuilder().setHeartbeat(Heartbeat.newBuilder().setSentUnixMillis(System.currentTimeMillis())).build());
        }
      }
    }, ThreadLocalRandom.current().nextLong(interval) + 1, interval, TimeUnit.MILLISECONDS);
    ConfigurationGrpc.newStub(channel).withCallCredentials(token).watch(WatchConfigurationRequest.newBuilder().setLastCommit(configCommit).build(),
        new Streams<WatchConfigurationRequest, ConfigurationUpdate>(current, r -> configuration = r, this::configured));
    // The last configuration is kept across sessions: the server sends it again only when it changed.
    if (desired != null) {
      openGitops(current);
    }
  }

  private synchronized void configured(int current, ConfigurationUpdate update) {
    if (session != current) {
      return;
    }
    AgentConfig config;
    try {
      config = ConfigParser.parse(name, update.getFile(), update.getContent().toByteArray());
    } catch (InvalidConfigException e) {
      throw new IllegalStateException("agent " + name + " received an invalid configuration: " + e.getMessage(), e);
    }
    configCommit = update.getCommit();
    configArrivedNanos = System.nanoTime();
    fleet.configured();
    if (config.gitops().manifestProjects().isEmpty()) {
      return;
    }
    ManifestProject project = config.gitops().manifestProjects().get(0);
    desired = SourceMessages.describe(ManifestsRequest.newBuilder().setProjectId(project.id())
        .setInventoryId(project.inventoryIdFor(name)).setRef(refSpec(project.ref())).setRunsHooks(true), project.source()).build();
    openGitops(current);
  }

  /** Streams the manifests of the configuration's project, unless this session already does: a configuration that leaves the entry as it was keeps its stream, as the real agent's. */
  private void openGitops(int current) {
    ManifestsRequest request = desired.toBuilder().setConnectionId(connectionId).build();
    if (request.equals(gitopsRequest) && gitops != null) {
      return;
    }
    if (gitops != null) {
      gitopsStreams.replaced = true;
      gitops.cancel("the configuration changed the manifest project", null);
    }
    gitopsRequest = request;
    manifestsCurrent = false;
    gitopsStreams = new Streams<>(current, r -> gitops = r, this::manifests);
    GitopsGrpc.newStub(channel).withCallCredentials(token).sync(gitopsStreams);
    gitops.onNext(GitopsAgentMessage.newBuilder().setRequest(request.toBuilder().setKnownCommit(knownCommit).setKnownDigest(knownDigest))
        .build());
  }

  private synchronized void manifests(int current, GitopsServerMessage message) {
    if (session != current) {
      return;
    }
    if (message.hasHeader()) {
      knownCommit = message.getHeader().getCommit();
      knownDigest = message.getHeader().getDigest();
      if (!manifestsCurrent) {
        manifestsCurrent = true;
        fleet.manifestsReceived();
      }
    } else if (message.hasError()) {
      // As the real agent: it applies nothing, reports why, and keeps the stream for the server's next answer.
      fleet.manifestsError(message.getError().getMessage());
    }
  }

  /** The session is over (the server ended it, refused it, or went away): every stream ends, and it dials again after its backoff. */
  private synchronized void ended(int current, Throwable cause) {
    if (session != current) {
      return;
    }
    session++;
    closeStreams();
    firstDialDone();
    if (connectionId != null) {
      connectionId = null;
      fleet.disconnected();
    }
    manifestsCurrent = false;
    Status status = Status.fromThrowable(cause);
    fleet.failed(status);
    if (stopped) {
      return;
    }
    Duration wait = reconnects.afterSession(welcomedThisSession, cause);
    welcomedThisSession = false;
    fleet.timers().schedule(this::connect, wait.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void firstDialDone() {
    if (!dialedOnce) {
      dialedOnce = true;
      fleet.firstDialDone();
    }
  }

  private void closeStreams() {
    if (heartbeats != null) {
      heartbeats.cancel(false);
      heartbeats = null;
    }
    if (gitops != null) {
      gitops.cancel("session ended", null);
      gitops = null;
      gitopsRequest = null;
    }
    if (configuration != null) {
      configuration.cancel("session ended", null);
      configuration = null;
    }
    if (toServer != null) {
      toServer.cancel("session ended", null);
      toServer = null;
    }
  }

  /** Ends the session and dials no more. */
  synchronized void stop() {
    stopped = true;
    session++;
    closeStreams();
  }

  private static GitRefSpec refSpec(GitRef ref) {
    return switch (ref.kind()) {
      case BRANCH -> GitRefSpec.newBuilder().setBranch(ref.name()).build();
      case TAG -> GitRefSpec.newBuilder().setTag(ref.name()).build();
      case COMMIT -> GitRefSpec.newBuilder().setCommit(ref.name()).build();
      case DEFAULT_BRANCH -> GitRefSpec.newBuilder().setDefaultBranch(true).build();
    };
  }

  /** A feature stream of one session: its messages go to {@code onMessage}; its end, or a failure handling a message, ends the session. */
  private final class Streams<Q, R> implements ClientResponseObserver<Q, R> {
    private final int current;
    private final Consumer<ClientCallStreamObserver<Q>> opened;
    private final SessionHandler<R> onMessage;
    // Set when a new configuration replaced this stream with another: its end is no reason to end the session.
    volatile boolean replaced;

    Streams(int current, Consumer<ClientCallStreamObserver<Q>> opened, SessionHandler<R> onMessage) {
      this.current = current;
      this.opened = opened;
      this.onMessage = onMessage;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<Q> requests) {
      opened.accept(requests);
    }

    @Override
    public void onNext(R message) {
      try {
        onMessage.handle(current, message);
      } catch (RuntimeException e) {
        fleet.problem(e.getMessage());
        ended(current, Status.INTERNAL.withDescription(e.getMessage()).asRuntimeException());
      }
    }

    @Override
    public void onError(Throwable t) {
      if (!replaced) {
        ended(current, t);
      }
    }

    @Override
    public void onCompleted() {
      if (!replaced) {
        ended(current, Status.UNAVAILABLE.withDescription("the server ended a stream").asRuntimeException());
      }
    }
  }

  @FunctionalInterface
  private interface SessionHandler<R> {
    void handle(int session, R message);
  }
}
