package dev.tether.agent.configuration;

import dev.tether.agent.AgentModule;
import dev.tether.agent.connection.Session;
import dev.tether.agent.connection.SessionStreams;
import dev.tether.common.config.AgentConfig;
import dev.tether.common.config.ConfigParser;
import dev.tether.common.config.InvalidConfigException;
import dev.tether.proto.v1.ConfigurationGrpc;
import dev.tether.proto.v1.ConfigurationUpdate;
import dev.tether.proto.v1.WatchConfigurationRequest;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives the agent's configuration from the server on every session and hands each new valid one
 * to the modules. What it holds survives reconnects: after a reconnect the server sends only what
 * changed, and a configuration that fails to parse here never replaces the one in use.
 */
public final class ConfigurationReceiver implements SessionStreams {
  private static final Logger log = LoggerFactory.getLogger(ConfigurationReceiver.class);

  private final List<AgentModule> modules;
  private final Clock clock;
  private final AtomicReference<ReceivedConfiguration> current = new AtomicReference<>();

  private final Counter applied;
  private final Counter refused;

  public ConfigurationReceiver(List<AgentModule> modules, Clock clock, MeterRegistry meters) {
    this.modules = List.copyOf(modules);
    this.clock = clock;
    this.applied = updates(meters, "applied");
    this.refused = updates(meters, "refused");
  }

  private static Counter updates(MeterRegistry meters, String result) {
    return Counter.builder("tether.agent.config.updates").description("Configurations received from the server, by result")
        .tag("result", result).register(meters);
  }

  public Optional<ReceivedConfiguration> current() {
    return Optional.ofNullable(current.get());
  }

  @Override
  public AutoCloseable open(Session session) {
    String known = current().map(ReceivedConfiguration::commit).orElse("");
    AtomicReference<ClientCallStreamObserver<WatchConfigurationRequest>> call = new AtomicReference<>();
    session.stub(ConfigurationGrpc::newStub).watch(WatchConfigurationRequest.newBuilder().setLastCommit(known).build(),
        new ClientResponseObserver<WatchConfigurationRequest, ConfigurationUpdate>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<WatchConfigurationRequest> requestStream) {
            call.set(requestStream);
          }

          @Override
          public void onNext(ConfigurationUpdate update) {
            apply(session.agentName(), update);
          }

          @Override
          public void onError(Throwable t) {
            session.fail(t);
          }

          @Override
          public void onCompleted() {
            session.fail(Status.UNAVAILABLE.withDescription("the server ended the configuration stream").asRuntimeException());
          }
        });
    return () -> call.get().cancel("session ended", null);
  }

  private synchronized void apply(String agentName, ConfigurationUpdate update) {
    AgentConfig config;
    try {
      config = ConfigParser.parse(agentName, update.getFile(), update.getContent().toByteArray());
    } catch (InvalidConfigException e) {
      // The server validated it with the same parser; a difference means mismatched versions.
      log.error("Configuration at {} was refused by this agent (is the agent older than the server?); keeping the current one:\n{}",
          update.getCommit(), e.getMessage());
      refused.increment();
      return;
    }
    ReceivedConfiguration previous = current.get();
    if (previous != null && previous.commit().equals(update.getCommit()) && previous.config().equals(config)) {
      return;
    }
    current.set(new ReceivedConfiguration(update.getCommit(), update.getProjectId(), update.getFile(), config, clock.instant()));
    applied.increment();
    log.info("Configuration {} at commit {} of project '{}' received", update.getFile(), shortCommit(update.getCommit()),
        update.getProjectId());
    for (AgentModule module : modules) {
      try {
        module.configure(config);
      } catch (RuntimeException e) {
        log.error("Module '{}' could not take the new configuration: {}", module.name(), e.toString(), e);
      }
    }
  }

  private static String shortCommit(String commit) {
    return commit.length() > 12 ? commit.substring(0, 12) : commit;
  }
}
