package dev.tether.server.configuration;

import com.google.protobuf.ByteString;
import dev.tether.proto.v1.ConfigurationGrpc;
import dev.tether.proto.v1.WatchConfigurationRequest;
import dev.tether.server.connection.OpenCalls;
import dev.tether.server.connection.AgentIdentity;
import dev.tether.server.connection.OutboundStream;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

/** Streams each agent its valid configuration: the current one, then every change. */
public final class ConfigurationService extends ConfigurationGrpc.ConfigurationImplBase {
  private final ConfigurationFanOut hub;
  private final OpenCalls calls;

  public ConfigurationService(ConfigurationFanOut hub, OpenCalls calls) {
    this.hub = hub;
    this.calls = calls;
  }

  @Override
  public void watch(WatchConfigurationRequest request, StreamObserver<dev.tether.proto.v1.ConfigurationUpdate> responses) {
    AgentIdentity identity = AgentIdentity.current();
    OutboundStream<dev.tether.proto.v1.ConfigurationUpdate> toAgent = new OutboundStream<>(responses);
    AutoCloseable registration = calls.register(identity.tokenId(), reason -> toAgent.fail(Status.UNAUTHENTICATED.withDescription(reason)));
    AutoCloseable subscription = hub.subscribe(identity.agentName(), request.getLastCommit(),
        update -> toAgent.send(dev.tether.proto.v1.ConfigurationUpdate.newBuilder()
            .setCommit(update.commit())
            .setProjectId(update.projectId())
            .setFile(update.file())
            .setContent(ByteString.copyFrom(update.content()))
            .build()));
    toAgent.onEnd(() -> {
      OutboundStream.closeQuietly(subscription);
      OutboundStream.closeQuietly(registration);
    });
  }
}
