package dev.tether.server.connection;

import io.grpc.Context;

/**
 * Who a call comes from: the agent its token names, which of the agent's tokens it used, and the
 * network address it came from.
 */
public record AgentIdentity(String agentName, String tokenId, String remoteAddress) {
  /** Set by {@link AgentAuthentication} on every authenticated call. */
  public static final Context.Key<AgentIdentity> CURRENT = Context.key("tether-agent-identity");

  public static AgentIdentity current() {
    AgentIdentity identity = CURRENT.get();
    if (identity == null) {
      throw new IllegalStateException("call was not authenticated: the service is missing AgentAuthentication");
    }
    return identity;
  }
}
