package dev.tether.bench;

import dev.tether.testkit.k8s.AuditLog;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.process.ExternalCommand;
import java.nio.file.Path;
import java.time.Duration;

/** The reference every figure started with: {@code kubectl apply --server-side} of the same files. */
final class KubectlSync {
  private final KubeControlPlane plane;
  private final AuditLog audit;

  KubectlSync(KubeControlPlane plane, AuditLog audit) {
    this.plane = plane;
    this.audit = audit;
  }

  /** Applies the files into {@code namespace} (which exists and is empty), then again with nothing changed. */
  SyncRun run(Path files, String namespace) {
    long mark = audit.mark();
    Duration planeBefore = plane.cpuTime();
    long ms = timed(() -> apply(files, namespace));
    ApiRequests requests = ApiRequests.since(audit, mark, "kubectl/");
    Duration planeCpu = plane.cpuTime().minus(planeBefore);
    mark = audit.mark();
    long againMs = timed(() -> apply(files, namespace));
    return new SyncRun("kubectl apply --server-side", ms, requests, planeCpu, againMs, ApiRequests.since(audit, mark, "kubectl/"));
  }

  /**
   * A pipeline as a CI job runs it: {@code render | kubectl apply --server-side -f -}, where
   * {@code render} is a shell command run in {@code dir} that prints the objects ({@code helm template …},
   * {@code kustomize build …}); into {@code namespace} (which exists and is empty), then again with nothing changed.
   */
  SyncRun runPipeline(String engine, String render, Path dir, String namespace) {
    String pipeline = render + " | " + quote(plane.binaries().kubectl()) + " --kubeconfig " + quote(plane.kubeconfig())
        + " apply --server-side -n " + namespace + " -f -";
    long mark = audit.mark();
    Duration planeBefore = plane.cpuTime();
    long ms = timed(() -> shell(pipeline, dir));
    ApiRequests requests = ApiRequests.since(audit, mark, "kubectl/");
    Duration planeCpu = plane.cpuTime().minus(planeBefore);
    mark = audit.mark();
    long againMs = timed(() -> shell(pipeline, dir));
    return new SyncRun(engine, ms, requests, planeCpu, againMs, ApiRequests.since(audit, mark, "kubectl/"));
  }

  /** How long the pipeline's render alone takes (its output thrown away): the part of its time that is not kubectl's. */
  static long renderOnlyMs(String render, Path dir) {
    return timed(() -> shell(render + " > /dev/null", dir));
  }

  private static void shell(String command, Path dir) {
    ExternalCommand.of("bash", "-o", "pipefail", "-c", command).directory(dir).timeout(Duration.ofMinutes(30)).run().orThrow();
  }

  /** A path as one word for bash. */
  static String quote(Path path) {
    return "'" + path.toString().replace("'", "'\\''") + "'";
  }

  /**
   * One `kubectl apply --server-side` of the files; when it fails because custom resources came before
   * their CRDs were established ("no matches for kind"), again until it succeeds (up to five more), as a
   * person or a CI job does: kubectl has no stage that waits for CRDs, and the time of all is what it costs.
   */
  private void apply(Path files, String namespace) {
    var result = plane.kubectl("apply", "--server-side", "-n", namespace, "-R", "-f", files.toString())
        .timeout(Duration.ofMinutes(30)).run();
    for (int again = 0; again < 5 && result.exitCode() != 0 && (result.stderr() + result.stdout()).contains("no matches for kind");
        again++) {
      result = plane.kubectl("apply", "--server-side", "-n", namespace, "-R", "-f", files.toString())
          .timeout(Duration.ofMinutes(30)).run();
    }
    result.orThrow();
  }

  private static long timed(Runnable work) {
    long start = System.nanoTime();
    work.run();
    return (System.nanoTime() - start) / 1_000_000;
  }
}
