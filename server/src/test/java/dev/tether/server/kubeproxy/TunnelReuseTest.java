package dev.tether.server.kubeproxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.proto.v1.BodyEnd;
import dev.tether.proto.v1.KubeProxyGrpc;
import dev.tether.proto.v1.ProxyRequest;
import dev.tether.proto.v1.ResponseStart;
import dev.tether.proto.v1.TunnelAgentMessage;
import dev.tether.proto.v1.TunnelReady;
import dev.tether.proto.v1.TunnelServerMessage;
import dev.tether.server.connection.AgentIdentity;
import dev.tether.server.connection.InProcessOpenCalls;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The tunnel protocol between the server and a scripted agent: one stream, request after request. */
class TunnelReuseTest {
  private static final Duration WAIT = Duration.ofSeconds(5);

  private final TunnelPool pool = new TunnelPool();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    ServerInterceptor asAgent = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        return Contexts.interceptCall(Context.current().withValue(AgentIdentity.CURRENT, new AgentIdentity("a", "t-1", "test")),
            call, headers, next);
      }
    };
    server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(ServerInterceptors.intercept(new KubeProxyService(pool, new InProcessOpenCalls(), meters), asAgent)).build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  /** A scripted agent's stream: what the server sent, and whether the server ended its side. */
  private final class ScriptedAgent implements StreamObserver<TunnelServerMessage> {
    final BlockingQueue<TunnelServerMessage> received = new LinkedBlockingQueue<>();
    final CountDownLatch serverEnded = new CountDownLatch(1);
    final StreamObserver<TunnelAgentMessage> toServer = KubeProxyGrpc.newStub(channel).tunnel(this);

    @Override public void onNext(TunnelServerMessage message) { received.add(message); }
    @Override public void onError(Throwable t) { serverEnded.countDown(); }
    @Override public void onCompleted() { serverEnded.countDown(); }

    void ready() {
      toServer.onNext(TunnelAgentMessage.newBuilder().setReady(TunnelReady.getDefaultInstance()).build());
    }

    /** Answers the next request with an empty 200. */
    ProxyRequest answer() throws InterruptedException {
      TunnelServerMessage message = received.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(message).as("a request reached the agent").isNotNull();
      toServer.onNext(TunnelAgentMessage.newBuilder().setStart(ResponseStart.newBuilder().setStatus(200)).build());
      toServer.onNext(TunnelAgentMessage.newBuilder().setEnd(BodyEnd.getDefaultInstance()).build());
      return message.getRequest();
    }

    /** Answers the next request while the proxy's side (which blocks) runs in the test, then does {@code after}. */
    CompletableFuture<ProxyRequest> answerLater(Runnable after) {
      return CompletableFuture.supplyAsync(() -> {
        try {
          ProxyRequest request = answer();
          after.run();
          return request;
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      });
    }
  }

  private ScriptedAgent readyAgent() {
    ScriptedAgent agent = new ScriptedAgent();
    agent.ready();
    return agent;
  }

  /** A GET as the proxy sends it down a tunnel. */
  private static TunnelServerMessage get(String path) {
    return TunnelServerMessage.newBuilder().setRequest(ProxyRequest.newBuilder().setMethod("GET").setPath(path)
        .setNoBody(true).setKeepOpen(true)).build();
  }

  /** What the proxy does with a tunnel for one request, up to reading the answer's end. */
  private static void serve(Tunnel tunnel, String path) throws InterruptedException {
    tunnel.start();
    assertThat(tunnel.send(get(path))).isTrue();
    assertThat(tunnel.next(WAIT).map(TunnelAgentMessage::hasStart)).contains(true);
    assertThat(tunnel.next(WAIT).map(TunnelAgentMessage::hasEnd)).contains(true);
    tunnel.complete();
  }

  private double opened() {
    return meters.get("tether.proxy.tunnels.opened").counter().count();
  }

  @Test
  @DisplayName("an agent that says it is ready again after a response gets the next requests on the same stream")
  void streamCarriesRequestAfterRequest() throws Exception {
    ScriptedAgent agent = readyAgent();
    for (int i = 0; i < 3; i++) {
      Tunnel tunnel = pool.take("a", WAIT).orElseThrow();
      CompletableFuture<ProxyRequest> answered = agent.answerLater(agent::ready);
      serve(tunnel, "/api/v1/namespaces/n" + i);
      assertThat(answered.get(WAIT.toSeconds(), TimeUnit.SECONDS).getKeepOpen()).isTrue();
    }
    assertThat(pool.take("a", WAIT)).as("the stream is idle again after the third request").isPresent();
    assertThat(opened()).isEqualTo(1);
    assertThat(agent.serverEnded.getCount()).as("the server kept its side open").isEqualTo(1);
  }

  @Test
  @DisplayName("an agent of the previous version ends the stream after one response: the server ends its side and never reuses it")
  void previousAgentEndsTheStream() throws Exception {
    ScriptedAgent agent = readyAgent();
    Tunnel tunnel = pool.take("a", WAIT).orElseThrow();
    // It ignores keep_open, a field it does not know, and ends its side after the answer.
    CompletableFuture<ProxyRequest> answered = agent.answerLater(agent.toServer::onCompleted);
    serve(tunnel, "/api");
    answered.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(agent.serverEnded.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the server ended its side").isTrue();
    assertThat(pool.take("a", Duration.ofMillis(200))).isEqualTo(Optional.empty());
  }

  @Test
  @DisplayName("a stream goes back to the pool only when both the proxy read the answer and the agent said it is ready")
  void backOnlyWhenBothAreDone() throws Exception {
    ScriptedAgent agent = readyAgent();
    Tunnel tunnel = pool.take("a", WAIT).orElseThrow();
    tunnel.start();
    tunnel.send(get("/api"));
    agent.answer();
    agent.ready(); // before the proxy has read the end
    assertThat(pool.idleCount("a")).isZero();
    assertThat(tunnel.next(WAIT).map(TunnelAgentMessage::hasStart)).contains(true);
    assertThat(tunnel.next(WAIT).map(TunnelAgentMessage::hasEnd)).contains(true);
    assertThat(pool.idleCount("a")).isZero();
    tunnel.complete();
    assertThat(pool.idleCount("a")).isEqualTo(1);
  }
}
