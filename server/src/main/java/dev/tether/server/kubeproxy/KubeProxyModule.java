package dev.tether.server.kubeproxy;

import dev.tether.server.ServerContext;
import dev.tether.server.ServerModule;
import dev.tether.server.replica.ReplicaEndpoint;
import java.net.InetSocketAddress;

/**
 * The Kubernetes API proxy: its own HTTPS listener for kubectl, and the gRPC service through which
 * agents offer the tunnels requests go through. Offers {@link KubeProxyListener} for its URL.
 */
public final class KubeProxyModule implements ServerModule {
  private static final String TUNNEL_METHOD = "tether.v1.KubeProxy/Tunnel";

  private final KubeProxyListener listener;

  public KubeProxyModule(ServerContext context) {
    InetSocketAddress address = context.settings().kubeProxyAddress();
    listener = new KubeProxyListener(new InetSocketAddress(address.getHostString(), address.getPort()), context.tls(),
        context.store(), context.configurations(), context.agents(), context.calls(), context.clock(), context.meters(),
        context.rateLimits(), context.settings().proxyRequestRate(), context.replicaId(), context.replicas(),
        context.settings().replica().listen(), new IdTokenVerifier(context.settings().oidcIssuers(), context.settings().gitUrls()));
    context.agentListener().addService(listener.tunnels());
    // Tunnel callbacks only hand messages on; running them on the transport thread saves a thread switch per message.
    context.agentListener().runInline(TUNNEL_METHOD);
    context.offer(KubeProxyListener.class, listener);
    if (context.replicas().isPresent()) {
      context.offer(ReplicaEndpoint.class, listener::replicaPort);
    }
  }

  @Override
  public String name() {
    return "kubeproxy";
  }

  @Override
  public void start() {
    listener.start();
  }

  @Override
  public void stop() {
    listener.close();
  }
}
