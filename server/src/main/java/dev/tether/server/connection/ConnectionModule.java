package dev.tether.server.connection;

import dev.tether.server.ServerContext;
import dev.tether.server.ServerModule;

/**
 * Agent connections: authenticates every agent call (token, connect rates), and serves the
 * connection stream through which an agent says who it is, sends heartbeats and is given its GitOps role.
 */
public final class ConnectionModule implements ServerModule {
  private final ConnectionActivity activity;

  public ConnectionModule(ServerContext context) {
    activity = new ConnectionActivity(context.store().connectionActivity(), context.events());
    context.agentListener().authenticateWith(new AgentAuthentication(context.store().tokens(), context.clock(), context.calls(),
        context.settings().agentConnectRates(), context.rateLimits(), context.events(), activity));
    context.agentListener().addService(new ConnectionService(context.localAgents(), context.replicaId(), context.calls(), activity,
        context.clock(), context.events(), context.meters()));
  }

  /** Writes the last batch of connection activity (the listener stopped before: no more comes). */
  @Override
  public void stop() {
    activity.close();
  }

  @Override
  public String name() {
    return "connection";
  }
}
