package dev.tether.bench;

import dev.tether.testkit.k8s.AuditLog;
import dev.tether.testkit.k8s.KubeControlPlane;
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
