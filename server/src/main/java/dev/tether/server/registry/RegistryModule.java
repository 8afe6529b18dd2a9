package dev.tether.server.registry;

import dev.tether.server.ServerContext;
import dev.tether.server.ServerModule;
import dev.tether.server.git.GitPoller;

/**
 * What administrators register: projects, agents and their tokens, access tokens; revoking a token
 * ends its open calls. Offers {@link Registry} to the HTTP API.
 */
public final class RegistryModule implements ServerModule {
  public RegistryModule(ServerContext context) {
    context.offer(Registry.class, new Registry(context.store(), context.calls(), context.part(GitPoller.class),
        context.settings().gitUrls(), context.clock(), context.events()));
  }

  @Override
  public String name() {
    return "registry";
  }
}
