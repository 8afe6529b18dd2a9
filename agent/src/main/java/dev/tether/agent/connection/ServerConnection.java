package dev.tether.agent.connection;

import dev.tether.proto.v1.AgentConnectionGrpc;
import dev.tether.proto.v1.AgentInfo;
import dev.tether.proto.v1.AgentMessage;
import dev.tether.proto.v1.Heartbeat;
import dev.tether.proto.v1.ServerMessage;
import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's one connection to the server. It dials out, proves who it is with its token, opens
 * every feature's streams, and when anything breaks it closes them all and dials again after a
 * backoff with jitter; a refused token waits much longer, since retrying will not fix it.
 */
public final class ServerConnection implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ServerConnection.class);
  private static final Duration WELCOME_TIMEOUT = Duration.ofSeconds(30);

  private final String server;
  private final String trustDescription;
  private final ManagedChannel channel;
  // The token file is read again before each session, so a rotated token is used without a restart.
  private final Supplier<String> tokenSource;
  private String tokenText;
  private BearerToken token;
  private final Supplier<AgentInfo> info;
  private final Duration heartbeatInterval;
  private final List<SessionStreams> features;
  private final ReconnectPolicy reconnects;
  private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "agent-heartbeat");
    t.setDaemon(true);
    return t;
  });
  private final Thread loop;
  private volatile boolean closed;
  private volatile Session current;
  private volatile String lastProblem;
  private final GitopsPermission permission;

  /** {@code tokenSource} reads the agent's token (its file); a failure to read it again keeps the token read before. */
  public ServerConnection(String server, ChannelCredentials tls, String trustDescription, Supplier<String> tokenSource,
      Supplier<AgentInfo> info, Duration heartbeatInterval, List<SessionStreams> features, ReconnectPolicy reconnects, GitopsPermission permission) {
    this.server = server;
    this.permission = permission;
    this.trustDescription = trustDescription;
    this.tokenSource = tokenSource;
    this.tokenText = tokenSource.get();
    this.token = new BearerToken(tokenText);
    this.info = info;
    this.heartbeatInterval = heartbeatInterval;
    this.features = List.copyOf(features);
    this.reconnects = reconnects;
    this.channel = NettyChannelBuilder.forTarget(server, tls)
        .keepAliveTime(30, TimeUnit.SECONDS)
        .keepAliveTimeout(10, TimeUnit.SECONDS)
        .keepAliveWithoutCalls(true)
        .maxInboundMessageSize(64 * 1024 * 1024)
        // This loop reconnects and reopens streams itself; gRPC's retry layer would only buffer every
        // message of every stream (each proxied request opens one) for a replay nothing uses.
        .disableRetry()
        .build();
    permission.onLeaseChange(this::sendLease);
    this.loop = new Thread(this::run, "agent-connection");
    this.loop.setDaemon(true);
  }

  public ServerConnection start() {
    loop.start();
    return this;
  }

  /** Why the last session failed or ended, in words for the person running the agent; null before any failure. */
  public String lastProblem() {
    return lastProblem;
  }

  /** Whether this process may apply GitOps now; it follows every session and the server's word. */
  public GitopsPermission gitopsPermission() {
    return permission;
  }

  /** The session now established, or null between sessions. */
  public Session currentSession() {
    return current;
  }

  private void run() {
    while (!closed) {
      Outcome outcome;
      try {
        outcome = runSession();
      } catch (RuntimeException e) {
        // Whatever went wrong, the agent keeps dialing; a dead connection loop would strand it.
        log.error("The connection to {} failed unexpectedly", server, e);
        outcome = new Outcome(false, new ConnectionProblem(ConnectionProblem.Kind.OTHER, "unexpected error: " + e));
      }
      if (closed) {
        return;
      }
      boolean newToken = outcome.problem().kind() == ConnectionProblem.Kind.TOKEN_REJECTED && newTokenInFile();
      Duration wait = reconnects.after(outcome.established(), outcome.problem(), newToken);
      lastProblem = outcome.problem().message();
      log.warn("{}; trying again in {} s", outcome.problem().message(), Math.round(wait.toMillis() / 100.0) / 10.0);
      try {
        Thread.sleep(wait.toMillis());
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private record Outcome(boolean established, ConnectionProblem problem) {}

  /** Whether the token file now holds another token than the one last used: worth trying at once. */
  private boolean newTokenInFile() {
    try {
      return !tokenSource.get().equals(tokenText);
    } catch (RuntimeException unreadable) {
      return false;
    }
  }

  private void useLatestToken() {
    String latest;
    try {
      latest = tokenSource.get();
    } catch (RuntimeException e) {
      log.warn("Cannot read the token again ({}); using the one read before", e.getMessage());
      return;
    }
    if (!latest.equals(tokenText)) {
      log.info("The token file holds a new token; using it from this connection on");
      tokenText = latest;
      token = new BearerToken(latest);
    }
  }

  private Outcome runSession() {
    useLatestToken();
    // gRPC waits out its own reconnect backoff otherwise; ours has just done the waiting.
    channel.resetConnectBackoff();
    CompletableFuture<ServerMessage> welcome = new CompletableFuture<>();
    CompletableFuture<Throwable> ended = new CompletableFuture<>();
    SessionRole role = new SessionRole();
    List<ClientCallStreamObserver<AgentMessage>> upstream = new ArrayList<>(1);
    AgentConnectionGrpc.newStub(channel).withCallCredentials(token).connect(new ClientResponseObserver<AgentMessage, ServerMessage>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<AgentMessage> requestStream) {
        upstream.add(requestStream);
      }

      @Override
      public void onNext(ServerMessage message) {
        if (message.getKindCase() == ServerMessage.KindCase.WELCOME) {
          // The welcome's role is taken here, in stream order with the role messages that may follow it at once.
          // A server that predates the role has one applier in mind: this connection.
          role.take(message.getWelcome().hasGitopsRole() ? message.getWelcome().getGitopsRole()
              : dev.tether.proto.v1.GitopsRole.newBuilder().setApplies(true).build(), message.getWelcome().hasGitopsRole());
          welcome.complete(message);
        } else if (message.getKindCase() == ServerMessage.KindCase.GITOPS_ROLE && welcome.isDone()) {
          role.take(message.getGitopsRole(), true);
        }
      }

      @Override
      public void onError(Throwable t) {
        role.end(t);
        welcome.completeExceptionally(t);
        ended.complete(t);
      }

      @Override
      public void onCompleted() {
        Throwable t = Status.UNAVAILABLE.withDescription("the server ended the connection").asRuntimeException();
        role.end(t);
        welcome.completeExceptionally(t);
        ended.complete(t);
      }
    });
    ClientCallStreamObserver<AgentMessage> toServer = upstream.get(0);
    synchronized (sending) {
      // The Lease as it is now; a change from here on is sent after this, as the server needs AgentInfo first.
      toServer.onNext(AgentMessage.newBuilder().setInfo(info.get().toBuilder().setGitopsLease(lease())).build());
      leaseSink = toServer;
    }

    ServerMessage welcomed;
    try {
      welcomed = welcome.get(WELCOME_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      return new Outcome(false, ConnectionProblem.of(e.getCause(), server, trustDescription));
    } catch (TimeoutException e) {
      toServer.cancel("no welcome from the server", null);
      return new Outcome(false, new ConnectionProblem(ConnectionProblem.Kind.UNREACHABLE,
          "the server at " + server + " did not answer within " + WELCOME_TIMEOUT.toSeconds() + " s"));
    } catch (InterruptedException e) {
      toServer.cancel("agent stopping", null);
      return new Outcome(false, new ConnectionProblem(ConnectionProblem.Kind.OTHER, "agent stopping"));
    }

    String agentName = welcomed.getWelcome().getAgentName();
    String connectionId = welcomed.getWelcome().getConnectionId();
    log.info("Connected to {} as agent '{}' (connection {}, server {})", server, agentName, connectionId,
        welcomed.getWelcome().getServerVersion());
    Session session = new Session(channel, token, agentName, connectionId, cause -> {
      role.end(cause);
      ended.complete(cause);
    });

    List<AutoCloseable> opened = new ArrayList<>();
    ScheduledFuture<?> heartbeats = timers.scheduleAtFixedRate(() -> {
      synchronized (sending) {
        toServer.onNext(AgentMessage.newBuilder().setHeartbeat(Heartbeat.newBuilder()
            .setSentUnixMillis(System.currentTimeMillis())).build());
      }
    }, heartbeatInterval.toMillis(), heartbeatInterval.toMillis(), TimeUnit.MILLISECONDS);
    try {
      for (SessionStreams feature : features) {
        opened.add(feature.open(session));
      }
      current = session;
      Throwable cause = ended.join();
      return new Outcome(true, ConnectionProblem.of(cause, server, trustDescription));
    } finally {
      current = null;
      role.end(ended.getNow(null));
      heartbeats.cancel(false);
      for (AutoCloseable streams : opened) {
        try {
          streams.close();
        } catch (Exception e) {
          log.debug("Closing a feature's streams failed", e);
        }
      }
      synchronized (sending) {
        leaseSink = null;
        toServer.cancel("session ended", null);
      }
    }
  }

  /**
   * The GitOps role as one session sees it. Every change of one session goes through here under one
   * lock, and nothing after the session's end counts: a role message still on its way, or the callbacks
   * of streams that end after the session did, must not change what the next session decided.
   */
  private final class SessionRole {
    private boolean over;

    void take(dev.tether.proto.v1.GitopsRole role, boolean serverKnowsRoles) {
      synchronized (permissionLock) {
        if (!over) {
          permission.serverKnowsRoles(serverKnowsRoles);
          applyRole(role);
        }
      }
    }

    void end(Throwable cause) {
      synchronized (permissionLock) {
        if (!over) {
          over = true;
          stopGitops(cause);
        }
      }
    }
  }

  private final Object permissionLock = new Object();

  private void applyRole(dev.tether.proto.v1.GitopsRole role) {
    if (role.getApplies()) {
      permission.set(GitopsPermission.State.APPLYING, "");
    } else {
      permission.set(GitopsPermission.State.ANOTHER_CONNECTION_APPLIES, role.getReason());
    }
  }

  /** The session is over: GitOps stops before anything else happens, so no write follows a lost or refused session. */
  private void stopGitops(Throwable cause) {
    ConnectionProblem problem = cause == null ? null : ConnectionProblem.of(cause, server, trustDescription);
    if (problem != null && problem.kind() == ConnectionProblem.Kind.TOKEN_REJECTED) {
      permission.set(GitopsPermission.State.TOKEN_REFUSED, problem.message());
    } else if (permission.current().state() != GitopsPermission.State.TOKEN_REFUSED) {
      // A refused token stays the reason until a session is welcomed again: the streams that end after the
      // refusal (with other codes, in any order) must not make it look like a mere disconnection.
      permission.set(GitopsPermission.State.DISCONNECTED, problem == null ? "the session ended" : problem.message());
    }
  }

  // Guards the session stream's sends: heartbeats, Lease changes and the session's end come from different threads.
  private final Object sending = new Object();
  private ClientCallStreamObserver<AgentMessage> leaseSink;

  private dev.tether.proto.v1.GitopsLease lease() {
    return dev.tether.proto.v1.GitopsLease.newBuilder().setUsed(permission.usesLease()).setHeld(permission.leaseHeld()).build();
  }

  /** Tells the server of the current session that this process gained or lost its Lease: the role follows it. */
  private void sendLease() {
    synchronized (sending) {
      if (leaseSink != null) {
        try {
          leaseSink.onNext(AgentMessage.newBuilder().setGitopsLease(lease()).build());
        } catch (RuntimeException ended) {
          log.debug("The session ended while telling the server about the Lease", ended);
        }
      }
    }
  }

  /** Ends the session and stops dialing. */
  @Override
  public void close() {
    closed = true;
    loop.interrupt();
    Session session = current;
    if (session != null) {
      session.fail(Status.CANCELLED.withDescription("agent stopping").asRuntimeException());
    }
    try {
      loop.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    timers.shutdownNow();
    channel.shutdownNow();
    try {
      // The streams' last callbacks (cancelling proxied requests) must run before the Kubernetes clients close.
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
