package dev.tether.server.replica;

import dev.tether.server.ServerContext;
import dev.tether.server.ServerModule;
import dev.tether.server.connection.ReplicatedAgentDirectory;

/**
 * This server among the replicas on one PostgreSQL database: once the internal listener is up (the
 * Kubernetes API proxy offers it as a {@link ReplicaEndpoint}), registers the replica and keeps its
 * lease; on a clean stop removes its row, so the others stop routing here at once. Nothing on H2.
 */
public final class ReplicaModule implements ServerModule {
  private final ServerContext context;

  public ReplicaModule(ServerContext context) {
    this.context = context;
  }

  @Override
  public String name() {
    return "replica";
  }

  @Override
  public void start() {
    context.replicas().ifPresent(registry -> {
      String address = context.settings().replica().advertised(context.part(ReplicaEndpoint.class).boundPort());
      Runnable republish = context.agents() instanceof ReplicatedAgentDirectory d ? d::republish : () -> {};
      registry.start(address, republish);
    });
  }

  @Override
  public void stop() {
    context.replicas().ifPresent(ReplicaRegistry::close);
  }
}
