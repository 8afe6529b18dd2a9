package dev.tether.server.connection;

import dev.tether.common.TetherVersion;
import dev.tether.proto.v1.AgentConnectionGrpc;
import dev.tether.proto.v1.AgentInfo;
import dev.tether.proto.v1.AgentMessage;
import dev.tether.proto.v1.GitopsRole;
import dev.tether.proto.v1.ServerMessage;
import dev.tether.proto.v1.Welcome;
import dev.tether.server.events.EventLog;
import dev.tether.server.replica.ReplicaId;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.grpc.stub.StreamObserver;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The agent's session stream: who it is, heartbeats, and the server's word when it must go. */
public final class ConnectionService extends AgentConnectionGrpc.AgentConnectionImplBase {
  private static final Logger log = LoggerFactory.getLogger(ConnectionService.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final AgentConnections connections;
  private final ReplicaId replica;
  private final OpenCalls calls;
  private final ConnectionActivity activity;
  private final Clock clock;
  private final EventLog events;

  private final Counter accepted;

  public ConnectionService(AgentConnections connections, ReplicaId replica, OpenCalls calls, ConnectionActivity activity, Clock clock, EventLog events,
      MeterRegistry meters) {
    this.connections = connections;
    this.replica = replica;
    this.calls = calls;
    this.activity = activity;
    this.clock = clock;
    this.events = events;
    Gauge.builder("tether.agent.connections", connections, c -> c.all().size())
        .description("Agent connections open now").register(meters);
    this.accepted = Counter.builder("tether.agent.connects").description("Agent connections accepted since the server started")
        .register(meters);
  }

  @Override
  public StreamObserver<AgentMessage> connect(StreamObserver<ServerMessage> responses) {
    byte[] id = new byte[6];
    RANDOM.nextBytes(id);
    OutboundStream<ServerMessage> toAgent = new OutboundStream<>(responses);
    Session session = new Session(AgentIdentity.current(), "c-" + HexFormat.of().formatHex(id), toAgent);
    // When the server ends the call (revoked token, shutdown), the request observer hears nothing.
    toAgent.onEnd(() -> session.ended("closed by the server"),
        () -> session.ended("the agent ended the connection, or it was lost"));
    return session;
  }

  private final class Session implements StreamObserver<AgentMessage> {
    private final AgentIdentity identity;
    private final String connectionId;
    private final OutboundStream<ServerMessage> toAgent;
    private AutoCloseable registration;
    private boolean identified;
    private boolean ended;

    Session(AgentIdentity identity, String connectionId, OutboundStream<ServerMessage> toAgent) {
      this.identity = identity;
      this.connectionId = connectionId;
      this.toAgent = toAgent;
    }

    @Override
    public synchronized void onNext(AgentMessage message) {
      if (ended) {
        return;
      }
      if (!identified) {
        if (message.getKindCase() != AgentMessage.KindCase.INFO) {
          toAgent.fail(Status.INVALID_ARGUMENT.withDescription("the first message of a connection must be AgentInfo"));
          return;
        }
        identified = true;
        accepted.increment();
        AgentInfo info = message.getInfo();
        GitopsRole role = connections.add(new AgentConnections.Connection(connectionId, identity.agentName(), identity.tokenId(),
            clock.instant(), info.getVersion(), info.getPodName(), info.getPodNamespace(), info.getClusterVersion(),
            identity.remoteAddress(), clock.instant(), info.getGitopsLease().getUsed(), info.getGitopsLease().getHeld(), replica.value()),
            this::roleChanged);
        registration = calls.register(identity.tokenId(), reason -> toAgent.fail(Status.UNAUTHENTICATED.withDescription(reason)));
        activity.agentSeen(identity.agentName(), clock.instant());
        toAgent.send(ServerMessage.newBuilder().setWelcome(Welcome.newBuilder().setConnectionId(connectionId)
            .setAgentName(identity.agentName()).setServerVersion(TetherVersion.get()).setGitopsRole(role)).build());
        log.info("Agent '{}' connected ({} from {}, version {}, pod {}/{}, cluster {})", identity.agentName(), connectionId,
            identity.remoteAddress(), info.getVersion(), info.getPodNamespace(), info.getPodName(), info.getClusterVersion());
        events.infoRepeatable("connection", identity.agentName(), "Connected", "Connected from " + identity.remoteAddress() + " (agent "
            + info.getVersion() + (info.getPodName().isEmpty() ? "" : ", pod " + info.getPodNamespace() + "/" + info.getPodName())
            + (info.getClusterVersion().isEmpty() ? "" : ", Kubernetes " + info.getClusterVersion()) + ")");
        if (!role.getApplies()) {
          log.warn("Agent '{}' has a second connection ({} from {}); it does not apply GitOps: {}", identity.agentName(),
              connectionId, identity.remoteAddress(), role.getReason());
          // Repeatable: an agent reconnecting in a loop overlaps its own connections, and must not flood the feed.
          events.warningRepeatable("connection", identity.agentName(), "Second connection", "Second connection " + connectionId + " from "
              + identity.remoteAddress() + " does not apply GitOps: " + role.getReason());
        }
      } else if (message.getKindCase() == AgentMessage.KindCase.HEARTBEAT) {
        connections.heartbeat(connectionId, clock.instant());
      } else if (message.getKindCase() == AgentMessage.KindCase.GITOPS_LEASE) {
        connections.leaseChanged(connectionId, message.getGitopsLease().getUsed(), message.getGitopsLease().getHeld());
      }
    }

    /** This connection's role changed: it applies now (the one that did has gone or lost its Lease), or no longer. */
    synchronized void roleChanged(GitopsRole role) {
      if (ended) {
        return;
      }
      toAgent.send(ServerMessage.newBuilder().setGitopsRole(role).build());
      if (role.getApplies()) {
        log.info("Agent '{}': connection {} from {} applies GitOps now", identity.agentName(), connectionId, identity.remoteAddress());
        events.infoRepeatable("connection", identity.agentName(), "Connection", "Connection " + connectionId + " from "
            + identity.remoteAddress() + " applies GitOps now; the one that did has gone or lost the agent's Lease");
      } else {
        log.info("Agent '{}': connection {} from {} no longer applies GitOps: {}", identity.agentName(), connectionId,
            identity.remoteAddress(), role.getReason());
      }
    }

    @Override
    public void onError(Throwable t) {
      ended("connection lost: " + Status.fromThrowable(t).getCode());
    }

    @Override
    public void onCompleted() {
      ended("the agent closed the connection");
      toAgent.complete();
    }

    synchronized void ended(String why) {
      if (!identified || ended) {
        ended = true;
        return;
      }
      ended = true;
      connections.remove(connectionId);
      activity.agentSeen(identity.agentName(), clock.instant());
      OutboundStream.closeQuietly(registration);
      log.info("Agent '{}' disconnected ({}): {}", identity.agentName(), connectionId, why);
      events.infoRepeatable("connection", identity.agentName(), "Disconnected", "Disconnected: " + why);
    }
  }
}
