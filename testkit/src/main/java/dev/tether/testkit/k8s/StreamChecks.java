package dev.tether.testkit.k8s;

import static org.junit.jupiter.api.Assertions.assertAll;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.function.Executable;

/**
 * Byte-for-byte checks of kubectl's stream commands against a pod of a {@link TestNode}, through
 * whatever API server the {@link KubectlStreams}' kubeconfig names: the same checks prove the
 * control plane directly and a proxy in front of it. Each check throws an {@link AssertionError}
 * saying what differed. The pod must have the {@link #containers(int)}.
 */
public final class StreamChecks {
  public static final String EXEC_CONTAINER = "main";
  public static final String ATTACH_CONTAINER = "cat";
  public static final String WEB_CONTAINER = "web";

  private final KubectlStreams kubectl;
  private final String pod;
  private final int webPort;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  public StreamChecks(KubectlStreams kubectl, String pod, int webPort) {
    this.kubectl = kubectl;
    this.pod = pod;
    this.webPort = webPort;
  }

  /** Lets {@code group} read the namespace's pods and nothing else: enough to find a pod, not to exec into it. */
  public static void allowReadingPodsOnly(io.fabric8.kubernetes.client.KubernetesClient client, String group) {
    client.rbac().roles().resource(new io.fabric8.kubernetes.api.model.rbac.RoleBuilder().withNewMetadata().withName("read-pods")
        .endMetadata().addNewRule().withApiGroups("").withResources("pods").withVerbs("get").endRule().build()).create();
    client.rbac().roleBindings().resource(new io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder().withNewMetadata()
        .withName("read-pods-only").endMetadata().withNewRoleRef("rbac.authorization.k8s.io", "Role", "read-pods")
        .addNewSubject().withKind("Group").withName(group).withApiGroup("rbac.authorization.k8s.io").endSubject().build()).create();
  }

  /** The containers the checks use: an idle one to exec in and copy to, a cat to attach to, an HTTP server on {@code webPort}. */
  public static TestContainer[] containers(int webPort) {
    return new TestContainer[] {
        TestContainer.idle(EXEC_CONTAINER), TestContainer.cat(ATTACH_CONTAINER), TestContainer.http(WEB_CONTAINER, webPort)};
  }

  /**
   * Every check, one by one so that the report names each that failed, in an order that leaves the pod
   * usable until the end (attach ends the cat). With {@code direct} (kubectl straight to the API server),
   * also a long output compared byte for byte with the direct path's.
   */
  public void all(Path scratch, int bytes, KubectlStreams direct) {
    List<Executable> checks = new ArrayList<>(List.of(() -> execRoundTrip(bytes), () -> execExitCode(3),
        () -> copyInAndOut(scratch, bytes), () -> portForward(bytes)));
    if (direct != null) {
      checks.add(() -> sameOutputAs(direct));
    }
    checks.add(() -> attachRoundTrip(bytes));
    assertAll(checks.stream());
  }

  /** A command's output of more than 2 MB is the same through {@code kubectl} as through {@code direct}. */
  public void sameOutputAs(KubectlStreams direct) {
    String[] numbers = {"seq", "1", "400000"};
    byte[] viaThis = kubectl.exec(pod, EXEC_CONTAINER, null, numbers).orThrow().stdout();
    byte[] viaDirect = direct.exec(pod, EXEC_CONTAINER, null, numbers).orThrow().stdout();
    if (viaThis.length < 2_000_000) {
      throw new AssertionError("exec seq gave " + viaThis.length + " bytes; expected more than 2,000,000");
    }
    assertSame("exec seq, compared with the direct path", viaDirect, viaThis);
  }

  /** {@code kubectl exec -i pod -- cat} gives back exactly the random bytes sent. */
  public void execRoundTrip(int bytes) {
    byte[] sent = randomBytes(bytes);
    KubectlStreams.Run run = kubectl.exec(pod, EXEC_CONTAINER, sent, "cat").orThrow();
    assertSame("exec -i … -- cat", sent, run.stdout());
  }

  /** {@code kubectl exec pod -- sh -c 'exit N'} exits with N. */
  public void execExitCode(int code) {
    KubectlStreams.Run run = kubectl.exec(pod, EXEC_CONTAINER, null, "sh", "-c", "echo to-stderr >&2; exit " + code);
    if (run.exitCode() != code) {
      throw new AssertionError(label("exec … -- sh -c 'exit " + code + "'") + " exited with " + run.exitCode()
          + " instead of " + code + "; stderr: " + run.stderr());
    }
    if (!run.stderr().contains("to-stderr")) {
      throw new AssertionError(label("exec") + ": the command's stderr did not reach kubectl's; it wrote: " + run.stderr());
    }
  }

  /** {@code kubectl cp} of a random file into the pod and back gives the same bytes. */
  public void copyInAndOut(Path scratch, int bytes) {
    try {
      Files.createDirectories(scratch);
      byte[] sent = randomBytes(bytes);
      String name = "copied-" + kubectl.protocol().name().toLowerCase() + "-" + System.nanoTime() + ".bin";
      Path in = scratch.resolve("in-" + name);
      Path out = scratch.resolve("out-" + name);
      Files.write(in, sent);
      kubectl.copyToPod(in, pod, EXEC_CONTAINER, name).orThrow();
      kubectl.copyFromPod(pod, EXEC_CONTAINER, name, out).orThrow();
      if (!Files.exists(out)) {
        throw new AssertionError(label("cp") + ": copying " + name + " out of the pod made no file " + out);
      }
      assertSame("cp in, then cp out", sent, Files.readAllBytes(out));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code kubectl attach -i} to the cat container: what is sent comes back. Ends the cat (stdinOnce), so once per pod. */
  public void attachRoundTrip(int bytes) {
    byte[] sent = randomBytes(bytes);
    KubectlStreams.Run run = kubectl.attach(pod, ATTACH_CONTAINER, sent).orThrow();
    assertSame("attach -i", sent, run.stdout());
  }

  /**
   * {@code kubectl port-forward} to the web container: a GET of random bytes and a POST echoed back
   * come through as they do from the server directly.
   */
  public void portForward(int bytes) {
    long seed = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
    byte[] direct = get(webPort, "/bytes?n=" + bytes + "&seed=" + seed);
    byte[] posted = randomBytes(bytes);
    try (KubectlStreams.PortForward forward = kubectl.portForward(pod, webPort)) {
      String hello = new String(get(forward.localPort(), "/"), StandardCharsets.UTF_8);
      if (!hello.contains(kubectl.namespace() + "/" + pod)) {
        throw new AssertionError(label("port-forward") + ": GET / answered " + hello + ", not the pod's own server");
      }
      assertSame("port-forward GET /bytes", direct, get(forward.localPort(), "/bytes?n=" + bytes + "&seed=" + seed));
      assertSame("port-forward POST /echo", posted, post(forward.localPort(), "/echo", posted));
    }
  }

  private byte[] get(int port, String path) {
    return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET(), path);
  }

  private byte[] post(int port, String path, byte[] body) {
    return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)), path);
  }

  private byte[] send(HttpRequest.Builder request, String path) {
    try {
      HttpResponse<byte[]> response = http.send(request.timeout(Duration.ofSeconds(30)).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      if (response.statusCode() != 200) {
        throw new AssertionError(label("port-forward, then HTTP " + path) + " answered " + response.statusCode());
      }
      return response.body();
    } catch (IOException e) {
      throw new AssertionError(label("port-forward, then HTTP " + path) + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private void assertSame(String what, byte[] expected, byte[] actual) {
    int at = Arrays.mismatch(expected, actual);
    if (at >= 0) {
      throw new AssertionError(label(what) + ": " + expected.length + " bytes expected, " + actual.length
          + " came back; first difference at byte " + at);
    }
  }

  private String label(String what) {
    return "kubectl " + what + " (" + kubectl.protocol() + ", pod " + kubectl.namespace() + "/" + pod + ")";
  }

  private static byte[] randomBytes(int n) {
    byte[] bytes = new byte[n];
    new Random(ThreadLocalRandom.current().nextLong()).nextBytes(bytes);
    return bytes;
  }
}
