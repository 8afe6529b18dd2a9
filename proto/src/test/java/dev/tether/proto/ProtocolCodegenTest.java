package dev.tether.proto;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.proto.v1.AgentInfo;
import dev.tether.proto.v1.AgentMessage;
import dev.tether.proto.v1.Heartbeat;
import dev.tether.proto.v1.ServerMessage;
import dev.tether.proto.v1.AgentConnectionGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Proves the build generates working protobuf messages and gRPC stubs from proto/. */
class ProtocolCodegenTest {

  @Test
  void agentInfoSurvivesTheWire() throws Exception {
    AgentMessage sent = AgentMessage.newBuilder()
        .setInfo(AgentInfo.newBuilder().setVersion("0.1.0").setPodName("agent-0").setClusterVersion("v1.37.2"))
        .build();

    AgentMessage received = AgentMessage.parseFrom(sent.toByteArray());

    assertThat(received.getKindCase()).isEqualTo(AgentMessage.KindCase.INFO);
    assertThat(received.getInfo().getClusterVersion()).isEqualTo("v1.37.2");
    assertThat(received.getInfo().getPodName()).isEqualTo("agent-0");
  }

  @Test
  void generatedStubsCarryABidirectionalStream() throws Exception {
    String name = InProcessServerBuilder.generateName();
    Server server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(new AgentConnectionGrpc.AgentConnectionImplBase() {
          @Override
          public StreamObserver<AgentMessage> connect(StreamObserver<ServerMessage> toAgent) {
            return new StreamObserver<>() {
              @Override public void onNext(AgentMessage m) {
                toAgent.onNext(ServerMessage.newBuilder().setHeartbeat(m.getHeartbeat()).build());
              }
              @Override public void onError(Throwable t) { }
              @Override public void onCompleted() { toAgent.onCompleted(); }
            };
          }
        }).build().start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    try {
      List<Long> echoed = new CopyOnWriteArrayList<>();
      CountDownLatch done = new CountDownLatch(1);
      StreamObserver<AgentMessage> toServer = AgentConnectionGrpc.newStub(channel).connect(new StreamObserver<>() {
        @Override public void onNext(ServerMessage m) { echoed.add(m.getHeartbeat().getSentUnixMillis()); }
        @Override public void onError(Throwable t) { done.countDown(); }
        @Override public void onCompleted() { done.countDown(); }
      });
      for (long t = 1; t <= 3; t++) {
        toServer.onNext(AgentMessage.newBuilder().setHeartbeat(Heartbeat.newBuilder().setSentUnixMillis(t)).build());
      }
      toServer.onCompleted();

      assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
      assertThat(echoed).containsExactly(1L, 2L, 3L);
    } finally {
      channel.shutdownNow();
      server.shutdownNow();
    }
  }
}
