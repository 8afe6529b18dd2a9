package dev.tether.server.kubeproxy;

import dev.tether.proto.v1.KubeProxyGrpc;
import dev.tether.proto.v1.TunnelAgentMessage;
import dev.tether.proto.v1.TunnelServerMessage;
import dev.tether.server.connection.OpenCalls;
import dev.tether.server.connection.AgentIdentity;
import dev.tether.server.connection.OutboundStream;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/** Takes the agents' idle tunnel streams into the pool the proxy draws from. */
public final class KubeProxyService extends KubeProxyGrpc.KubeProxyImplBase {
  private final TunnelPool pool;
  private final OpenCalls calls;
  private final Counter opened;

  KubeProxyService(TunnelPool pool, OpenCalls calls, MeterRegistry meters) {
    this.pool = pool;
    this.calls = calls;
    // Streams carry request after request: this grows with bursts of concurrent requests, not with each request.
    this.opened = Counter.builder("tether.proxy.tunnels.opened")
        .description("Tunnel streams agents opened for Kubernetes API proxy requests").register(meters);
  }

  @Override
  public StreamObserver<TunnelAgentMessage> tunnel(StreamObserver<TunnelServerMessage> responses) {
    AgentIdentity identity = AgentIdentity.current();
    ServerCallStreamObserver<TunnelServerMessage> call = (ServerCallStreamObserver<TunnelServerMessage>) responses;
    call.disableAutoRequest();
    opened.increment();
    Tunnel tunnel = new Tunnel(identity.agentName(), identity.tokenId(), call, pool::offer);
    AutoCloseable registration = calls.register(identity.tokenId(), tunnel::cancel);
    call.setOnCancelHandler(() -> {
      tunnel.ended("the agent closed the tunnel");
      pool.remove(tunnel);
      OutboundStream.closeQuietly(registration);
    });
    tunnel.request(1);
    return new StreamObserver<>() {
      @Override
      public void onNext(TunnelAgentMessage message) {
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
        tunnel.agentFinished();
        pool.remove(tunnel);
        OutboundStream.closeQuietly(registration);
      }
    };
  }
}
