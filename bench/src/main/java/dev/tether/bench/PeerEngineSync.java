package dev.tether.bench;

import dev.tether.testkit.k8s.AuditLog;
import dev.tether.testkit.k8s.KubeControlPlane;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * A turn of one peer engine ({@link PeerEngine}) on the same objects and API server: its process
 * starts and discovers the API server's kinds (not timed, as in a controller that has run a
 * while), syncs the files into an empty namespace, then syncs them again with nothing changed.
 */
final class PeerEngineSync {
  static final String DIR_VARIABLE = TwoHopProxyReference.DIR_VARIABLE;

  private final KubeControlPlane plane;
  private final AuditLog audit;
  private final Path programs;
  private final Path workDir;

  private PeerEngineSync(KubeControlPlane plane, AuditLog audit, Path programs, Path workDir) {
    this.plane = plane;
    this.audit = audit;
    this.programs = programs;
    this.workDir = workDir;
  }

  /** Present when bench/reference/build.sh built the engines (tools/bench.sh runs it). */
  static Optional<PeerEngineSync> locate(KubeControlPlane plane, AuditLog audit, Path workDir) {
    return Optional.ofNullable(System.getenv(DIR_VARIABLE)).map(Path::of)
        .filter(dir -> java.util.Arrays.stream(PeerEngine.values()).allMatch(e -> Files.isExecutable(dir.resolve(e.program()))))
        .map(dir -> new PeerEngineSync(plane, audit, dir, workDir));
  }

  SyncRun run(PeerEngine engine, PeerEngine.Throttle throttle, Path files, String namespace) throws Exception {
    Files.createDirectories(workDir);
    Path log = workDir.resolve(namespace + ".log");
    try (PeerEngineProcess process = PeerEngineProcess.start(engine.command(programs.resolve(engine.program()),
        plane.kubeconfig(), files, namespace, throttle, workDir), log)) {
      long mark = audit.mark();
      Duration planeBefore = plane.cpuTime();
      PeerEngineProcess.Result first = process.sync();
      Duration planeCpu = plane.cpuTime().minus(planeBefore);
      ApiRequests requests = ApiRequests.since(audit, mark, engine.userAgentPrefix());
      mark = audit.mark();
      PeerEngineProcess.Result again = process.sync();
      return new SyncRun(engine.label(throttle), first.ms(), requests, planeCpu, again.ms(),
          ApiRequests.since(audit, mark, engine.userAgentPrefix()));
    }
  }
}
