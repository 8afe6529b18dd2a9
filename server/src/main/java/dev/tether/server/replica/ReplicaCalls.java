package dev.tether.server.replica;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's own calls from one replica to another, for work that must run where an agent's
 * streams are (a live read through its tunnel, a command down its gitops stream): a feature serves a
 * named call on every replica and calls it on the replica that holds the agent. The calls travel over
 * the internal listener, TLS pinned to the certificate the callee published, with this replica's id
 * and secret; the callee runs the call locally and never passes it on. Kubectl requests that go the
 * same way are relayed as they came instead ({@code ReplicaForwarder}), but share the clients here.
 */
public final class ReplicaCalls {
  /** Carries {@code <replica id> <secret>} from the calling replica; stripped before anything reaches an agent. */
  public static final String CREDENTIAL_HEADER = "Tether-Replica-Credential";
  /** Where the internal listener serves calls; everything else there is a forwarded kubectl request. */
  static final String PATH = "/_tether/replica-calls/";
  private static final String STATUS_HEADER = "Tether-Call-Status";
  private static final Duration CONNECT = Duration.ofSeconds(3);
  private static final Duration ANSWER = Duration.ofSeconds(60);
  private static final long MAX_PARAMS_BYTES = 64 * 1024;
  private static final Logger log = LoggerFactory.getLogger(ReplicaCalls.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What a call answered: a code the feature chose (an HTTP status, say) and bytes. */
  public record Answer(int status, byte[] body) {}

  /** A call a feature serves; it runs on the replica that holds the agent, with the caller's parameters. */
  @FunctionalInterface
  public interface Handler {
    Answer handle(Map<String, String> params) throws InterruptedException;
  }

  /** No replica that holds the agent could be reached; the message says why and what to do. */
  public static final class UnreachableException extends Exception {
    public UnreachableException(String message) {
      super(message);
    }
  }

  private final ReplicaRegistry replicas;
  private final Map<String, Handler> handlers = new ConcurrentHashMap<>();
  private final Map<String, HttpClient> clients = new ConcurrentHashMap<>();
  private final Map<String, SSLContext> pins = new ConcurrentHashMap<>();

  ReplicaCalls(ReplicaRegistry replicas) {
    this.replicas = replicas;
  }

  /** Serves {@code name} on this replica. */
  public void serve(String name, Handler handler) {
    if (handlers.putIfAbsent(name, handler) != null) {
      throw new IllegalStateException("two features serve the replica call '" + name + "'");
    }
  }

  /**
   * Calls {@code name} on the first of {@code owners} (replica ids, the most likely first) that answers;
   * one that refuses the connection is skipped.
   */
  public Answer call(List<String> owners, String name, Map<String, String> params) throws UnreachableException,
      InterruptedException {
    String problem = "no live server replica holds a connection of the agent";
    for (String owner : owners) {
      Optional<ReplicaRegistry.Replica> replica = replicas.live(owner);
      if (replica.isEmpty() || owner.equals(replicas.self().value())) {
        continue;
      }
      HttpRequest request = HttpRequest.newBuilder(URI.create("https://" + replica.get().address() + PATH + name)).timeout(ANSWER)
          .header(CREDENTIAL_HEADER, credential()).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(json(params))).build();
      try {
        HttpResponse<byte[]> answer = client(replica.get()).send(request, HttpResponse.BodyHandlers.ofByteArray());
        Optional<String> status = answer.headers().firstValue(STATUS_HEADER);
        if (status.isEmpty()) {
          throw new UnreachableException("server replica " + owner + " did not serve '" + name + "' (HTTP " + answer.statusCode()
              + ": " + new String(answer.body(), StandardCharsets.UTF_8) + "); it may run an older version");
        }
        return new Answer(Integer.parseInt(status.get()), answer.body());
      } catch (ConnectException | HttpConnectTimeoutException e) {
        problem = "server replica " + owner + " at " + replica.get().address() + " refused the connection";
        log.info("Cannot reach server replica {} for '{}': {}", owner, name, e.toString());
      } catch (IOException e) {
        throw new UnreachableException("server replica " + owner + " at " + replica.get().address() + " stopped answering ("
            + e.getMessage() + ")");
      }
    }
    throw new UnreachableException(problem + ". If a replica stopped, the agent reconnects to another one within seconds; "
        + "try again");
  }

  /** Whether a request to the internal listener is a call (rather than a forwarded kubectl request). */
  public static boolean isCall(HttpServletRequest req) {
    return req.getRequestURI().startsWith(PATH);
  }

  /** Runs a call another replica made (its credential already checked) and writes its answer. */
  public void answer(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    String name = req.getRequestURI().substring(PATH.length());
    Handler handler = handlers.get(name);
    if (handler == null || !req.getMethod().equals("POST")) {
      resp.sendError(404, "this replica serves no call '" + name + "'");
      return;
    }
    Map<String, String> params;
    try (InputStream in = req.getInputStream()) {
      byte[] body = in.readNBytes((int) MAX_PARAMS_BYTES + 1);
      if (body.length > MAX_PARAMS_BYTES) {
        resp.sendError(413, "call parameters larger than " + MAX_PARAMS_BYTES + " bytes");
        return;
      }
      params = JSON.readValue(body, new TypeReference<Map<String, String>>() {});
    }
    Answer answer;
    try {
      answer = handler.handle(params);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      resp.sendError(503, "the server replica is stopping");
      return;
    }
    resp.setStatus(200);
    resp.setHeader(STATUS_HEADER, Integer.toString(answer.status()));
    resp.setContentType("application/octet-stream");
    resp.getOutputStream().write(answer.body());
  }

  /** {@code <this replica's id> <its secret>}, for {@link #CREDENTIAL_HEADER}. */
  public String credential() {
    return replicas.self().value() + " " + replicas.credentials().secret();
  }

  /** An HTTP client that trusts exactly the replica's published certificate. */
  public HttpClient client(ReplicaRegistry.Replica replica) {
    // One client per replica and certificate: a replica that restarts is a new id with a new certificate.
    clients.keySet().removeIf(id -> replicas.live().stream().noneMatch(r -> (r.id() + r.certificatePem().hashCode()).equals(id)));
    return clients.computeIfAbsent(replica.id() + replica.certificatePem().hashCode(), k -> HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT).sslContext(tls(replica)).build());
  }

  /** TLS that trusts exactly the replica's published certificate, for connections of one's own (protocol upgrades). */
  public SSLContext tls(ReplicaRegistry.Replica replica) {
    pins.keySet().removeIf(id -> replicas.live().stream().noneMatch(r -> (r.id() + r.certificatePem().hashCode()).equals(id)));
    return pins.computeIfAbsent(replica.id() + replica.certificatePem().hashCode(), k -> PinnedReplicaTls.trusting(replica.certificatePem()));
  }

  private static byte[] json(Map<String, String> params) {
    try {
      return JSON.writeValueAsBytes(params);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
