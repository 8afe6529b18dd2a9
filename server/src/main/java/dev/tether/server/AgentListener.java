package dev.tether.server;

import dev.tether.server.tls.ServerTls;
import io.grpc.BindableService;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gRPC listener agents dial (TLS): modules add their services while being built, the connection
 * module adds the authentication every call passes, and the server starts it once all are added.
 */
public final class AgentListener {
  private static final Logger log = LoggerFactory.getLogger(AgentListener.class);
  private static final int MAX_AGENT_MESSAGE_BYTES = 16 * 1024 * 1024;

  private final InetSocketAddress requested;
  private final ServerTls.Material tls;
  private final List<BindableService> services = new ArrayList<>();
  private final Set<String> inlineMethods = new HashSet<>();
  private ServerInterceptor authentication;
  private Server server;
  private final ExecutorService agentCalls = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "agent-calls");
    t.setDaemon(true);
    return t;
  });

  AgentListener(InetSocketAddress requested, ServerTls.Material tls) {
    this.requested = new InetSocketAddress(requested.getHostString(), requested.getPort());
    this.tls = tls;
  }

  /** Serves a gRPC service to agents; every call is authenticated first. */
  public void addService(BindableService service) {
    services.add(service);
  }

  /**
   * Runs the callbacks of one method on the transport thread: for calls whose callbacks only hand
   * messages on (tunnels), where a thread switch per message costs more than it saves.
   */
  public void runInline(String fullMethodName) {
    inlineMethods.add(fullMethodName);
  }

  /** The interceptor that authenticates every call; exactly one module sets it. */
  public void authenticateWith(ServerInterceptor interceptor) {
    if (authentication != null) {
      throw new IllegalStateException("two modules authenticate agents; only the connection module may");
    }
    authentication = interceptor;
  }

  void start() {
    if (authentication == null) {
      throw new IllegalStateException("no module authenticates agents: the connection module must be listed");
    }
    try {
      NettyServerBuilder builder = NettyServerBuilder.forAddress(requested,
              TlsServerCredentials.create(tls.certFile().toFile(), tls.keyFile().toFile()))
          .keepAliveTime(30, TimeUnit.SECONDS)
          .keepAliveTimeout(10, TimeUnit.SECONDS)
          // Agents ping to find dead connections through proxies; let them.
          .permitKeepAliveTime(10, TimeUnit.SECONDS)
          .permitKeepAliveWithoutCalls(true)
          .maxInboundMessageSize(MAX_AGENT_MESSAGE_BYTES)
          // Our own pool, so stop() can wait for the last callbacks (a disconnect event) before the store closes.
          .executor(agentCalls)
          .callExecutor(new ServerCallExecutorSupplier() {
            @Override
            public <Q, R> Executor getExecutor(ServerCall<Q, R> call, Metadata headers) {
              return inlineMethods.contains(call.getMethodDescriptor().getFullMethodName()) ? Runnable::run : null;
            }
          });
      for (BindableService service : services) {
        builder.addService(ServerInterceptors.intercept(service, authentication));
      }
      server = builder.build().start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen for agents on " + requested + ": " + e.getMessage(), e);
    }
  }

  /** Where agents connect, with the port actually bound. */
  public InetSocketAddress address() {
    if (server == null) {
      throw new IllegalStateException("the agent listener has not started yet");
    }
    return new InetSocketAddress(requested.getHostString(), server.getPort());
  }

  /** Stops taking calls, lets open ones end for a moment, then waits for the last callbacks. */
  void stop() {
    if (server != null) {
      server.shutdown();
      try {
        if (!server.awaitTermination(2, TimeUnit.SECONDS)) {
          server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        server.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    agentCalls.shutdown();
    try {
      if (!agentCalls.awaitTermination(5, TimeUnit.SECONDS)) {
        log.warn("Agent calls still running after 5 s; closing anyway");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
