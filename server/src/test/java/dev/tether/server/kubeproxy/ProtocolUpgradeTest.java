package dev.tether.server.kubeproxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.tether.common.config.ConfigParser;
import dev.tether.common.token.SecretToken;
import dev.tether.proto.v1.BodyChunk;
import dev.tether.proto.v1.BodyEnd;
import dev.tether.proto.v1.Header;
import dev.tether.proto.v1.KubeProxyGrpc;
import dev.tether.proto.v1.ProxyRequest;
import dev.tether.proto.v1.ResponseStart;
import dev.tether.proto.v1.TunnelAgentMessage;
import dev.tether.proto.v1.TunnelReady;
import dev.tether.proto.v1.TunnelServerMessage;
import dev.tether.server.configuration.AgentConfigFiles;
import dev.tether.server.configuration.ConfigurationHub;
import dev.tether.server.configuration.ConfigurationUpdate;
import dev.tether.server.connection.AgentConnections;
import dev.tether.server.connection.AgentDirectory;
import dev.tether.server.connection.AgentIdentity;
import dev.tether.server.connection.InProcessOpenCalls;
import dev.tether.server.connection.RateLimit;
import dev.tether.server.store.AccessToken;
import dev.tether.server.store.AccessTokenStore;
import dev.tether.server.store.Agent;
import dev.tether.server.store.AgentStore;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The server's half of exec, attach, cp and port-forward: a client on a real socket to the real proxy
 * servlet in Jetty, and an agent scripted on the tunnel's gRPC stream that plays the API server.
 */
class ProtocolUpgradeTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final TunnelPool pool = new TunnelPool();
  private final Map<String, AccessToken> tokens = new ConcurrentHashMap<>();
  private final ExecutorService requests = Executors.newCachedThreadPool();
  private io.grpc.Server grpc;
  private ManagedChannel channel;
  private Server jetty;
  private String bearer;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    ServerInterceptor asAgent = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        return Contexts.interceptCall(Context.current().withValue(AgentIdentity.CURRENT, new AgentIdentity("prod", "t-1", "test")),
            call, headers, next);
      }
    };
    InProcessOpenCalls calls = new InProcessOpenCalls();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    grpc = InProcessServerBuilder.forName(name).addService(ServerInterceptors.intercept(new KubeProxyService(pool, calls, meters), asAgent))
        .build().start();
    channel = InProcessChannelBuilder.forName(name).build();

    String yaml = "user_access:\n  access_as: { user: {} }\n  projects: [ { id: group/app } ]\n";
    ConfigurationHub configurations = new ConfigurationHub();
    configurations.publish(new ConfigurationUpdate("prod", "c1", "team/config", AgentConfigFiles.path("prod"),
        yaml.getBytes(StandardCharsets.UTF_8), ConfigParser.parse("prod", AgentConfigFiles.path("prod"), yaml.getBytes(StandardCharsets.UTF_8))));
    SecretToken secret = SecretToken.generate(SecretToken.Kind.ACCESS);
    tokens.put(secret.digest(), new AccessToken("a-alice", "user", Optional.empty(), Optional.empty(), Optional.of("alice"),
        List.of("group/app"), List.of(), "", Instant.now(), Optional.empty(), Optional.empty(), Optional.empty()));
    bearer = "prod:" + secret.reveal();
    ProxyAuthorizer authorizer = new ProxyAuthorizer(new Tokens(), new NoAgents(), configurations, Clock.systemUTC());
    ProxyServlet servlet = new ProxyServlet(authorizer, pool, new ConnectedHere(), calls, requests, meters,
        new RateLimit(1000.0, 1000, 100, Clock.systemUTC()), ProxyRequestRate.DEFAULT, "r1", Optional.empty());

    jetty = new Server();
    ServerConnector connector = new ServerConnector(jetty);
    connector.setHost("127.0.0.1");
    jetty.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    ServletHolder holder = new ServletHolder(servlet);
    holder.setAsyncSupported(true);
    context.addServlet(holder, "/*");
    jetty.setHandler(context);
    jetty.start();
  }

  @AfterEach
  void stop() throws Exception {
    jetty.stop();
    channel.shutdownNow();
    grpc.shutdownNow();
    requests.shutdownNow();
  }

  /** An agent's tunnel stream, scripted: it records what the server sends and answers as the test says. */
  private final class ScriptedAgent implements ClientResponseObserver<TunnelAgentMessage, TunnelServerMessage> {
    final BlockingQueue<TunnelServerMessage> received = new LinkedBlockingQueue<>();
    final CompletableFuture<String> ended = new CompletableFuture<>();
    ClientCallStreamObserver<TunnelAgentMessage> toServer;
    volatile boolean echo;

    ScriptedAgent() {
      KubeProxyGrpc.newStub(channel).tunnel(this);
      send(TunnelAgentMessage.newBuilder().setReady(TunnelReady.getDefaultInstance()).build());
    }

    @Override public void beforeStart(ClientCallStreamObserver<TunnelAgentMessage> stream) { toServer = stream; }

    @Override
    public void onNext(TunnelServerMessage message) {
      if (echo && message.hasBody()) {
        send(TunnelAgentMessage.newBuilder().setBody(message.getBody()).build());
      } else if (echo && message.hasEnd()) {
        // the client closed: as the agent does, close the API server's side, which ends the stream
        send(TunnelAgentMessage.newBuilder().setEnd(BodyEnd.getDefaultInstance()).build());
        toServer.onCompleted();
      }
      received.add(message);
    }

    @Override public void onError(Throwable t) { ended.complete("cancelled: " + t.getMessage()); }
    @Override public void onCompleted() { ended.complete("completed"); }

    synchronized void send(TunnelAgentMessage message) {
      toServer.onNext(message);
    }

    ProxyRequest request() throws InterruptedException {
      TunnelServerMessage m = received.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(m).as("a request reached the agent").isNotNull();
      assertThat(m.hasRequest()).isTrue();
      return m.getRequest();
    }

    void answer(int status, String... headers) {
      ResponseStart.Builder start = ResponseStart.newBuilder().setStatus(status);
      for (int i = 0; i < headers.length; i += 2) {
        start.addHeaders(Header.newBuilder().setName(headers[i]).addValues(headers[i + 1]));
      }
      send(TunnelAgentMessage.newBuilder().setStart(start).build());
    }

    void body(String text) {
      send(TunnelAgentMessage.newBuilder().setBody(BodyChunk.newBuilder().setData(ByteString.copyFromUtf8(text))).build());
    }

    void end() {
      send(TunnelAgentMessage.newBuilder().setEnd(BodyEnd.getDefaultInstance()).build());
      toServer.onCompleted();
    }
  }

  private Socket execRequest() throws IOException {
    Socket client = new Socket(InetAddress.getLoopbackAddress(), ((ServerConnector) jetty.getConnectors()[0]).getLocalPort());
    client.setSoTimeout((int) WAIT.toMillis());
    client.getOutputStream().write(("POST /api/v1/namespaces/ns/pods/p/exec?command=cat&stdin=true HTTP/1.1\r\nHost: proxy\r\n"
        + "Authorization: Bearer " + bearer + "\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
        + "X-Stream-Protocol-Version: v4.channel.k8s.io\r\nContent-Length: 0\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
    client.getOutputStream().flush();
    return client;
  }

  private static String head(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      assertThat(b).as("the response head ends before the connection does").isNotNegative();
      head.write(b);
      matched = (b == '\r' && matched % 2 == 0) || (b == '\n' && matched % 2 == 1) ? matched + 1 : 0;
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  private ScriptedAgent switched(Socket client) throws Exception {
    ScriptedAgent agent = new ScriptedAgent();
    client.getOutputStream().flush();
    ProxyRequest request = agent.request();
    assertThat(request.getUpgrade()).isEqualTo("SPDY/3.1");
    assertThat(request.getImpersonation().getUser()).isEqualTo("tether:user:alice");
    assertThat(request.getHeadersList()).extracting(Header::getName).contains("X-Stream-Protocol-Version")
        .doesNotContain("Authorization", "Upgrade", "Connection");
    agent.echo = true;
    agent.answer(101, "Upgrade", "SPDY/3.1", "Connection", "Upgrade", "X-Stream-Protocol-Version", "v4.channel.k8s.io");
    String head = head(client.getInputStream());
    assertThat(head).startsWith("HTTP/1.1 101 ").containsIgnoringCase("\r\nUpgrade: SPDY/3.1\r\n")
        .containsIgnoringCase("\r\nConnection: Upgrade\r\n").contains("X-Stream-Protocol-Version: v4.channel.k8s.io");
    return agent;
  }

  @Test
  @DisplayName("after the API server's 101 the client's bytes go to the agent and back unchanged; the client's close ends the stream")
  void bytesFlowBothWays() throws Exception {
    try (Socket client = execRequest()) {
      ScriptedAgent agent = switched(client);
      byte[] sent = new byte[4 * 1024 * 1024 + 5];
      new Random(11).nextBytes(sent);
      CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
        try {
          client.getOutputStream().write(sent);
          client.getOutputStream().flush();
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      });
      byte[] echoed = client.getInputStream().readNBytes(sent.length);
      writing.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(echoed).isEqualTo(sent);

      client.shutdownOutput();
      assertThat(agent.ended.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("completed");
      assertThat(agent.received).anySatisfy(m -> assertThat(m.hasEnd()).isTrue());
      assertThat(client.getInputStream().read()).as("the client's connection closes after the agent's end").isEqualTo(-1);
    }
  }

  @Test
  @DisplayName("when the API server closes, the client gets what came before and then the end of its connection")
  void apiServerCloses() throws Exception {
    try (Socket client = execRequest()) {
      ScriptedAgent agent = switched(client);
      agent.echo = false;
      agent.body("exit status 3");
      agent.end();
      assertThat(new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("exit status 3");
    }
  }

  @Test
  @DisplayName("a client that goes away cancels the agent's stream")
  void clientGoesAway() throws Exception {
    Socket client = execRequest();
    ScriptedAgent agent = switched(client);
    client.close();
    assertThat(agent.ended.get(WAIT.toSeconds(), TimeUnit.SECONDS)).satisfiesAnyOf(
        e -> assertThat(e).startsWith("cancelled"),
        e -> assertThat(agent.received).anySatisfy(m -> assertThat(m.hasEnd()).isTrue()));
  }

  @Test
  @DisplayName("a client that reads nothing stops the agent's stream after a bounded amount; reading resumes it")
  void slowClientSlowsTheAgent() throws Exception {
    try (Socket client = execRequest()) {
      ScriptedAgent agent = switched(client);
      agent.echo = false;
      byte[] chunk = new byte[64 * 1024];
      new Random(3).nextBytes(chunk);
      AtomicLong sent = new AtomicLong();
      long total = 128L * 1024 * 1024;
      CompletableFuture<Void> agentWrites = CompletableFuture.runAsync(() -> {
        while (sent.get() < total) {
          while (!agent.toServer.isReady()) {
            Thread.onSpinWait();
          }
          agent.send(TunnelAgentMessage.newBuilder().setBody(BodyChunk.newBuilder().setData(ByteString.copyFrom(chunk))).build());
          sent.addAndGet(chunk.length);
        }
      });
      Thread.sleep(1500);
      long stalled = sent.get();
      Thread.sleep(500);
      assertThat(sent.get()).as("the agent sends nothing more while the client reads nothing").isEqualTo(stalled);
      assertThat(stalled).as("held in flight: the tunnel's window and the sockets' buffers").isLessThan(total / 4);

      InputStream in = client.getInputStream();
      byte[] got = new byte[chunk.length];
      for (long read = 0; read < total; read += chunk.length) {
        in.readNBytes(got, 0, got.length);
        if (read == 0) {
          assertThat(got).isEqualTo(chunk);
        }
      }
      agentWrites.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      agent.end();
      assertThat(in.read()).isEqualTo(-1);
    }
  }

  @Test
  @DisplayName("an upgrade the API server refuses comes back as it answered, and the client's connection closes after it")
  void refusedUpgrade() throws Exception {
    try (Socket client = execRequest()) {
      ScriptedAgent agent = new ScriptedAgent();
      agent.request();
      String status = "{\"kind\":\"Status\",\"code\":403,\"message\":\"pods \\\"p\\\" is forbidden\"}";
      agent.answer(403, "Content-Type", "application/json");
      agent.body(status);
      agent.end();
      String answer = new String(client.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      assertThat(answer).startsWith("HTTP/1.1 403 ").containsIgnoringCase("\r\nConnection: close\r\n").contains(status);
      assertThat(pool.take("prod", Duration.ofMillis(300))).as("the stream is not used again").isEmpty();
    }
  }

  private final class Tokens implements AccessTokenStore {
    @Override public void add(AccessToken token, String digest) { tokens.put(digest, token); }
    @Override public Optional<AccessToken> findByDigest(String digest) { return Optional.ofNullable(tokens.get(digest)); }
    @Override public Optional<AccessToken> find(String id) { return tokens.values().stream().filter(t -> t.id().equals(id)).findFirst(); }
    @Override public List<AccessToken> list() { return List.copyOf(tokens.values()); }
    @Override public boolean revoke(String id, Instant at) { return false; }
    @Override public void markUsed(String id, Instant at) {}
  }

  private static final class NoAgents implements AgentStore {
    @Override public void create(Agent agent) { throw new UnsupportedOperationException(); }
    @Override public Optional<Agent> find(String name) { return Optional.empty(); }
    @Override public List<Agent> list() { return List.of(); }
    @Override public List<Agent> usingConfigProject(String projectId) { return List.of(); }
  }

  /** The agent is connected to this replica. */
  private static final class ConnectedHere implements AgentDirectory {
    private final AgentConnections.Connection connection = new AgentConnections.Connection("c1", "prod", "t-1", Instant.now(), "test",
        "", "", "", "127.0.0.1", Instant.now(), false, false, "r1");

    @Override public List<AgentConnections.Connection> of(String agentName) { return agentName.equals("prod") ? List.of(connection) : List.of(); }
    @Override public List<AgentConnections.Connection> all() { return List.of(connection); }
    @Override public boolean applies(String agentName, String connectionId) { return false; }
    @Override public Optional<AgentConnections.Connection> applier(String agentName) { return Optional.empty(); }
  }
}
