package dev.tether.server.kubeproxy;

import dev.tether.proto.v1.Impersonation;
import dev.tether.server.store.AccessToken;

/** A proxied request that may go ahead: to which agent, for whom, as whom. */
record ProxyAccess(String agentName, AccessToken token, Impersonation impersonation) {}
