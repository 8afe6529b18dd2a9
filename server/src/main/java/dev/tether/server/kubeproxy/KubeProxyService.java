package dev.tether.server.kubeproxy;

import dev.tether.proto.v1.KubeProxyGrpc;
import dev.tether.proto.v1.TunnelAgentMessage;
import dev.tether.proto.v1.TunnelServerMessage;
import dev.tether.server.connection.OpenCalls;
import dev.tether.server.connection.AgentIdentity;
import dev.tether.server.connection.OutboundStream;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/** Takes the agents' idle tunnel streams into the pool the proxy draws from. */
public final class KubeProxyService extends KubeProxyGrpc.KubeProxyImplBase {
  private final TunnelPool pool;
  private final OpenCalls calls;

  KubeProxyService(TunnelPool pool, OpenCalls calls) {
    this.pool = pool;
    this.calls = calls;
  }

  @Override
  public StreamObserver<TunnelAgentMessage> tunnel(StreamObserver<TunnelServerMessage> responses) {
    AgentIdentity identity = AgentIdentity.current();
    ServerCallStreamObserver<TunnelServerMessage> call = (ServerCallStreamObserver<TunnelServerMessage>) responses;
    call.disableAutoRequest();
    Tunnel tunnel = new Tunnel(identity.agentName(), identity.tokenId(), call);
    AutoCloseable registration = calls.register(identity.tokenId(), tunnel::cancel);
    call.setOnCancelHandler(() -> {
      tunnel.ended("the agent closed the tunnel");
      pool.remove(tunnel);
      OutboundStream.closeQuietly(registration);
    });
    call.request(1);
    return new StreamObserver<>() {
      private boolean readied;

      @Override
      public void onNext(TunnelAgentMessage message) {
        if (!readied && message.hasReady()) {
          readied = true;
          pool.offer(tunnel);
          return;
        }
        tunnel.received(message);
      }

      @Override
      public void onError(Throwable t) {
        tunnel.ended("the tunnel broke: " + Status.fromThrowable(t).getCode());
        pool.remove(tunnel);
        OutboundStream.closeQuietly(registration);
      }

      @Override
      public void onCompleted() {
        tunnel.ended("the agent ended the tunnel");
        pool.remove(tunnel);
        OutboundStream.closeQuietly(registration);
      }
    };
  }
}
