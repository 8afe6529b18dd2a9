package dev.tether.server.http;

import dev.tether.server.ServerContext;
import dev.tether.server.ServerModule;
import dev.tether.server.git.GitPoller;
import dev.tether.server.git.ProjectMirrors;
import dev.tether.server.gitops.DesiredFiles;
import dev.tether.server.gitops.SourceCommands;
import dev.tether.server.gitops.SourceStatus;
import dev.tether.server.kubeproxy.KubeProxyListener;
import dev.tether.server.registry.Registry;
import java.net.InetSocketAddress;

/**
 * The HTTP API v1 and the web UI, on the HTTP listener, behind the admin token (kept in the data dir).
 * Offers {@link AdminToken} so that the server can say where the token is.
 */
public final class HttpModule implements ServerModule {
  private final HttpApi api;

  public HttpModule(ServerContext context) {
    AdminToken adminToken = AdminToken.loadOrCreate(context.dataDir().resolve("admin-token"));
    KubeProxyListener kubeProxy = context.part(KubeProxyListener.class);
    HttpApi api = new HttpApi(context.store(), context.part(Registry.class), context.agents(), context.part(GitPoller.class),
        adminToken, () -> {
          InetSocketAddress agents = context.agentListener().address();
          return new HttpApi.Endpoints(agents.getHostString() + ":" + agents.getPort(), kubeProxy.url(), context.tls().devCaFile());
        }, context.part(SourceStatus.Lookup.class), new HttpApi.Applications(context.configurations(),
            context.part(ProjectMirrors.class), context.part(DesiredFiles.class), kubeProxy.reads(), context.events(),
            context.part(SourceCommands.class), context.changes()));
    this.api = api;
    context.httpListener().add(api::register);
    context.offer(AdminToken.class, adminToken);
  }

  @Override
  public String name() {
    return "http";
  }

  @Override
  public void stop() {
    api.close();
  }
}
