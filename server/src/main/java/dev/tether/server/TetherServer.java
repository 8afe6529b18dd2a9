package dev.tether.server;

import dev.tether.common.TetherVersion;
import dev.tether.server.configuration.ConfigurationModule;
import dev.tether.server.connection.AgentDirectory;
import dev.tether.server.connection.ConnectionModule;
import dev.tether.server.events.EventsModule;
import dev.tether.server.git.GitModule;
import dev.tether.server.gitops.GitopsModule;
import dev.tether.server.http.AdminToken;
import dev.tether.server.http.HttpModule;
import dev.tether.server.kubeproxy.KubeProxyListener;
import dev.tether.server.kubeproxy.KubeProxyModule;
import dev.tether.server.observability.ObservabilityModule;
import dev.tether.server.registry.RegistryModule;
import dev.tether.server.replica.ReplicaModule;
import dev.tether.server.render.RenderModule;
import dev.tether.server.store.Store;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The Tether server: the list of its modules, and the order in which they start and stop. */
public final class TetherServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TetherServer.class);

  /** Built in this order, each from the parts the ones before it offer; stopped in the reverse order. */
  private static final List<ServerModule.Factory> MODULES = List.of(
      ObservabilityModule::new,
      EventsModule::new,
      GitModule::new,
      RenderModule::new,
      ConfigurationModule::new,
      GitopsModule::new,
      ConnectionModule::new,
      KubeProxyModule::new,
      ReplicaModule::new,
      RegistryModule::new,
      HttpModule::new);

  private final ServerSettings settings;
  private final List<ServerModule> modules = new ArrayList<>();
  private ServerContext context;

  public TetherServer(ServerSettings settings) {
    this.settings = settings;
  }

  /** Builds every module, opens the listeners, then starts the modules' background work. */
  public TetherServer start() {
    try {
      context = ServerContext.open(settings);
      for (ServerModule.Factory factory : MODULES) {
        modules.add(factory.create(context));
      }
      context.agentListener().start();
      context.httpListener().start();
      for (ServerModule module : modules) {
        module.start();
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    log.info("Tether server {} ready: agents connect to {} (TLS), HTTP API on {}, Kubernetes API proxy on {}, data in {}",
        TetherVersion.get(), agentAddress(), httpUrl(), kubeProxyUrl(), context.dataDir());
    devCaFile().ifPresent(ca -> log.info("Development TLS: agents must trust {} (tether agent --ca-file {})", ca, ca));
    log.info("Admin token for `tether admin` commands: {}", adminTokenFile());
    log.info("Projects may use these Git URLs: {}", settings.gitUrls());
    return this;
  }

  /** Where agents connect, with the port actually bound. */
  public InetSocketAddress agentAddress() {
    return context.agentListener().address();
  }

  /** The Kubernetes API proxy's URL, for kubeconfigs. */
  public String kubeProxyUrl() {
    return context.part(KubeProxyListener.class).url();
  }

  /** The HTTP listener's base URL, with the port actually bound (useful when 0 was asked for). */
  public String httpUrl() {
    return context.httpListener().url();
  }

  /** The development CA's certificate file, when the server made its own TLS certificate. */
  public Optional<Path> devCaFile() {
    return context.tls().devCaFile();
  }

  public Path adminTokenFile() {
    return context.part(AdminToken.class).file();
  }

  public Store store() {
    return context.store();
  }

  /** Every agent's live connections, on every replica. */
  public AgentDirectory connections() {
    return context.agents();
  }

  /** Stops taking agents and requests, lets open calls end for a moment, then stops the modules, last built first. */
  @Override
  public void close() {
    if (context == null) {
      return;
    }
    context.agentListener().stop();
    context.httpListener().stop();
    for (int i = modules.size() - 1; i >= 0; i--) {
      ServerModule module = modules.get(i);
      try {
        module.stop();
      } catch (RuntimeException e) {
        log.warn("Error while stopping the {} module: {}", module.name(), e.toString());
      }
    }
    modules.clear();
    context.close();
    context = null;
  }
}
