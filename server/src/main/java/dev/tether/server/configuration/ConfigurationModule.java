package dev.tether.server.configuration;

import dev.tether.server.ServerContext;
import dev.tether.server.ServerModule;
import dev.tether.server.git.GitPoller;
import dev.tether.server.git.ProjectMirrors;

/**
 * Agent configuration: reads each agent's configuration file after every fetch of its configuration
 * project, publishes the valid ones to the context's fan-out, and serves agents their configuration stream.
 */
public final class ConfigurationModule implements ServerModule {
  public ConfigurationModule(ServerContext context) {
    GitPoller poller = context.part(GitPoller.class);
    ConfigurationReader reader = new ConfigurationReader(context.store(), context.part(ProjectMirrors.class),
        context.configurations(), context.clock(), context.events(), context.meters());
    // The last valid configurations are known before the first agent connects, whatever the Git hosts do.
    reader.restore();
    poller.keepFetched(reader::configProjects);
    poller.addListener(reader);
    context.agentListener().addService(new ConfigurationService(context.configurations(), context.calls()));
  }

  @Override
  public String name() {
    return "configuration";
  }
}
