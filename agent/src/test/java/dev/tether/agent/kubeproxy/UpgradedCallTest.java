package dev.tether.agent.kubeproxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.tether.proto.v1.Header;
import dev.tether.proto.v1.Impersonation;
import dev.tether.proto.v1.ProxyRequest;
import dev.tether.proto.v1.TunnelAgentMessage;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The agent's half of exec, attach, cp and port-forward: the request goes to a real TCP "API server"
 * on loopback that answers the upgrade as told, and the bytes after it come back through a tunnel
 * that takes them only while it says it is ready.
 */
class UpgradedCallTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private ServerSocket listener;
  private final CompletableFuture<String> requestHead = new CompletableFuture<>();
  private final CompletableFuture<Boolean> apiServerSawEof = new CompletableFuture<>();

  @AfterEach
  void stop() throws IOException {
    if (listener != null) {
      listener.close();
    }
  }

  /** An API server that reads one request head, then does what {@code answer} says with the connection. */
  private Config apiServer(BiConsumer<InputStream, OutputStream> answer) throws IOException {
    listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    Thread t = new Thread(() -> {
      try (Socket s = listener.accept()) {
        InputStream in = s.getInputStream();
        requestHead.complete(new String(ApiServerSocketHead.read(in), StandardCharsets.ISO_8859_1));
        answer.accept(in, s.getOutputStream());
      } catch (IOException e) {
        requestHead.completeExceptionally(e);
      }
    });
    t.setDaemon(true);
    t.start();
    return new ConfigBuilder(Config.empty()).withMasterUrl("http://127.0.0.1:" + listener.getLocalPort()).withOauthToken("agent-sa-token")
        .build();
  }

  /** Switches to "SPDY/3.1" and echoes every byte until the client's side ends. */
  private void echo(InputStream in, OutputStream out) {
    try {
      out.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: SPDY/3.1\r\nConnection: Upgrade\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n"
          .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      in.transferTo(out);
      apiServerSawEof.complete(true);
    } catch (IOException e) {
      apiServerSawEof.complete(false);
    }
  }

  private static ProxyRequest exec() {
    return ProxyRequest.newBuilder().setMethod("POST").setPath("/api/v1/namespaces/ns/pods/p/exec").setQuery("command=cat&stdin=true")
        .setUpgrade("SPDY/3.1").setNoBody(true).setCaller("ci project group/app")
        .addHeaders(Header.newBuilder().setName("X-Stream-Protocol-Version").addValues("v4.channel.k8s.io"))
        .addHeaders(Header.newBuilder().setName("Authorization").addValues("Bearer smuggled"))
        .addHeaders(Header.newBuilder().setName("Impersonate-User").addValues("system:admin"))
        .setImpersonation(Impersonation.newBuilder().setUser("tether:ci:group/app").addGroups("tether:ci").addGroups("tether:agent:prod"))
        .build();
  }

  /** A tunnel that records what the call sends and takes messages only while {@link #ready} is set. */
  private static final class RecordingTunnel implements UpgradedCall.Tunnel {
    final BlockingQueue<TunnelAgentMessage> sent = new LinkedBlockingQueue<>();
    final AtomicBoolean ready = new AtomicBoolean(true);
    final Semaphore asked = new Semaphore(0);
    final CompletableFuture<Integer> finished = new CompletableFuture<>();

    @Override public void send(TunnelAgentMessage message) { sent.add(message); }
    @Override public boolean isReady() { return ready.get(); }
    @Override public void requestMore() { asked.release(); }
    @Override public void finished(int status) { finished.complete(status); }

    TunnelAgentMessage next() throws InterruptedException {
      TunnelAgentMessage m = sent.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(m).as("a message from the call").isNotNull();
      return m;
    }
  }

  @Test
  void theRequestGoesAsTheImpersonatedIdentityWithTheAgentsCredentialAndNothingTheClientClaimed() throws Exception {
    RecordingTunnel tunnel = new RecordingTunnel();
    UpgradedCall call = new UpgradedCall(exec(), new ApiServerSocket(apiServer(this::echo)), tunnel);
    call.start();

    String head = requestHead.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(head).startsWith("POST /api/v1/namespaces/ns/pods/p/exec?command=cat&stdin=true HTTP/1.1\r\n")
        .contains("\r\nConnection: Upgrade\r\n", "\r\nUpgrade: SPDY/3.1\r\n", "\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n",
            "\r\nAuthorization: Bearer agent-sa-token\r\n", "\r\nImpersonate-User: tether:ci:group/app\r\n",
            "\r\nImpersonate-Group: tether:ci\r\n", "\r\nImpersonate-Group: tether:agent:prod\r\n")
        .doesNotContain("smuggled", "system:admin");
    call.cancel();
  }

  @Test
  void afterA101BytesFlowBothWaysUnchangedAndTheClientsCloseClosesTheApiServersConnection() throws Exception {
    RecordingTunnel tunnel = new RecordingTunnel();
    UpgradedCall call = new UpgradedCall(exec(), new ApiServerSocket(apiServer(this::echo)), tunnel);
    call.start();
    TunnelAgentMessage start = tunnel.next();
    assertThat(start.getStart().getStatus()).isEqualTo(101);
    assertThat(start.getStart().getHeadersList()).anySatisfy(h -> assertThat(h.getName()).isEqualTo("X-Stream-Protocol-Version"));

    byte[] sent = new byte[3 * 1024 * 1024 + 17];
    new Random(7).nextBytes(sent);
    ByteArrayOutputStream echoed = new ByteArrayOutputStream();
    Thread reader = new Thread(() -> {
      try {
        while (echoed.size() < sent.length) {
          TunnelAgentMessage m = tunnel.next();
          synchronized (echoed) {
            m.getBody().getData().writeTo(echoed);
          }
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    reader.start();
    // As the server does: the next piece only once the call asked for it (it has written the last one).
    for (int off = 0; off < sent.length; off += 32 * 1024) {
      call.fromClient(ByteString.copyFrom(sent, off, Math.min(32 * 1024, sent.length - off)));
      assertThat(tunnel.asked.tryAcquire(WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("the call asks for more once written").isTrue();
    }
    reader.join(WAIT.toMillis());
    assertThat(echoed.toByteArray()).isEqualTo(sent);

    call.clientClosed();
    assertThat(apiServerSawEof.get(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the API server's connection was closed").isTrue();
    assertThat(tunnel.next().hasEnd()).isTrue();
    assertThat(tunnel.finished.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(101);
  }

  @Test
  void whileTheTunnelIsFullNothingIsReadFromTheApiServer() throws Exception {
    RecordingTunnel tunnel = new RecordingTunnel();
    UpgradedCall call = new UpgradedCall(exec(), new ApiServerSocket(apiServer(this::echo)), tunnel);
    call.start();
    assertThat(tunnel.next().getStart().getStatus()).isEqualTo(101);
    tunnel.ready.set(false);
    // A read under way when the tunnel filled up still finishes (one piece, at most 32 KiB)…
    call.fromClient(ByteString.copyFromUtf8("one"));
    StringBuilder got = new StringBuilder();
    TunnelAgentMessage early = tunnel.sent.poll(500, TimeUnit.MILLISECONDS);
    if (early != null) {
      got.append(early.getBody().getData().toStringUtf8());
    }
    // …and then nothing more is read until the tunnel takes more.
    call.fromClient(ByteString.copyFromUtf8("two"));
    assertThat(tunnel.sent.poll(500, TimeUnit.MILLISECONDS)).as("nothing is sent while the tunnel is full").isNull();
    tunnel.ready.set(true);
    call.readyAgain();
    while (got.length() < "onetwo".length()) {
      got.append(tunnel.next().getBody().getData().toStringUtf8());
    }
    assertThat(got.toString()).isEqualTo("onetwo");
    call.cancel();
    assertThat(apiServerSawEof.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void whenTheApiServerClosesTheStreamEnds() throws Exception {
    RecordingTunnel tunnel = new RecordingTunnel();
    UpgradedCall call = new UpgradedCall(exec(), new ApiServerSocket(apiServer((in, out) -> {
      try {
        out.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: SPDY/3.1\r\nConnection: Upgrade\r\n\r\nbye".getBytes(StandardCharsets.ISO_8859_1));
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    })), tunnel);
    call.start();

    assertThat(tunnel.next().getStart().getStatus()).isEqualTo(101);
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    TunnelAgentMessage m;
    while ((m = tunnel.next()).hasBody()) {
      m.getBody().getData().writeTo(body);
    }
    assertThat(body.toString(StandardCharsets.UTF_8)).isEqualTo("bye");
    assertThat(m.hasEnd()).isTrue();
    assertThat(tunnel.finished.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(101);
  }

  @Test
  void aRefusalComesBackWholeAndItsConnectionEnds() throws Exception {
    String status = "{\"kind\":\"Status\",\"code\":403,\"message\":\"pods \\\"p\\\" is forbidden\"}";
    RecordingTunnel tunnel = new RecordingTunnel();
    UpgradedCall call = new UpgradedCall(exec(), new ApiServerSocket(apiServer((in, out) -> {
      try {
        // chunked, as a Go server sends a body it streamed; the connection stays open, as keep-alive would
        String half = status.substring(0, 20);
        String rest = status.substring(20);
        out.write(("HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            + Integer.toHexString(half.length()) + "\r\n" + half + "\r\n" + Integer.toHexString(rest.length()) + "\r\n" + rest
            + "\r\n0\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        apiServerSawEof.complete(in.read() < 0);
      } catch (IOException e) {
        apiServerSawEof.complete(true);
      }
    })), tunnel);
    call.start();

    TunnelAgentMessage start = tunnel.next();
    assertThat(start.getStart().getStatus()).isEqualTo(403);
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    TunnelAgentMessage m;
    while ((m = tunnel.next()).hasBody()) {
      m.getBody().getData().writeTo(body);
    }
    assertThat(body.toString(StandardCharsets.UTF_8)).isEqualTo(status);
    assertThat(m.hasEnd()).isTrue();
    assertThat(tunnel.finished.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(403);
    assertThat(apiServerSawEof.get(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the refused connection is closed, never reused").isTrue();
  }

  @Test
  void anApiServerThatCannotBeReachedIsAFailure() throws Exception {
    ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    int port = closed.getLocalPort();
    closed.close();
    RecordingTunnel tunnel = new RecordingTunnel();
    new UpgradedCall(exec(), new ApiServerSocket(new ConfigBuilder(Config.empty()).withMasterUrl("http://127.0.0.1:" + port).build()),
        tunnel).start();

    TunnelAgentMessage failure = tunnel.next();
    assertThat(failure.getFailure().getStatus()).isEqualTo(502);
    assertThat(failure.getFailure().getMessage()).contains("cannot reach the API server at 127.0.0.1:" + port);
    assertThat(tunnel.finished.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(502);
  }

  /** Reads a request head up to its blank line. */
  private static final class ApiServerSocketHead {
    static byte[] read(InputStream in) throws IOException {
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      int matched = 0;
      while (matched < 4) {
        int b = in.read();
        if (b < 0) {
          throw new IOException("closed before the head ended");
        }
        head.write(b);
        matched = (b == '\r' && matched % 2 == 0) || (b == '\n' && matched % 2 == 1) ? matched + 1 : 0;
      }
      return head.toByteArray();
    }
  }
}
