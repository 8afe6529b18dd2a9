package dev.tether.server.connection;

import dev.tether.server.ServerContext;
import dev.tether.server.ServerModule;

/**
 * Agent connections: authenticates every agent call (token, connect rates), and serves the
 * connection stream through which an agent says who it is, sends heartbeats and is given its GitOps role.
 */
public final class ConnectionModule implements ServerModule {
  public ConnectionModule(ServerContext context) {
    context.agentListener().authenticateWith(new AgentAuthentication(context.store().tokens(), context.clock(), context.calls(),
        context.settings().agentConnectRates(), context.rateLimits(), context.events()));
    context.agentListener().addService(new ConnectionService(context.localAgents(), context.replicaId(), context.calls(), context.store().agents(),
        context.clock(), context.events(), context.meters()));
  }

  @Override
  public String name() {
    return "connection";
  }
}
