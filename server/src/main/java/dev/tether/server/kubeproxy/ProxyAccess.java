package dev.tether.server.kubeproxy;

import dev.tether.proto.v1.Impersonation;
import dev.tether.server.store.AccessToken;

import java.util.Optional;

/**
 * A proxied request that may go ahead: to which agent, for whom, as whom; and the namespace the
 * ci_access entry that let it in names as its callers' default.
 */
record ProxyAccess(String agentName, AccessToken token, Impersonation impersonation, Optional<String> defaultNamespace) {}
