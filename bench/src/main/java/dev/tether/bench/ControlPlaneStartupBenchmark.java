package dev.tether.bench;

import dev.tether.common.text.TextTable;
import dev.tether.testkit.k8s.KubeBinaries;
import dev.tether.testkit.k8s.KubeControlPlane;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * What every Kubernetes-backed test JVM pays once: starting etcd, kube-apiserver and the controller
 * manager until each answers. Tracks that the test run stays fast as Kubernetes versions move.
 */
final class ControlPlaneStartupBenchmark implements Benchmark {
  private static final int RUNS = 5;

  @Override
  public String name() {
    return "control-plane-startup";
  }

  @Override
  public String description() {
    return "time until the test control plane is ready, " + RUNS + " cold starts";
  }

  @Override
  public void run(Path workDir) {
    KubeBinaries binaries = KubeBinaries.locate();
    List<KubeControlPlane.StartupTimes> runs = new ArrayList<>();
    for (int i = 0; i < RUNS; i++) {
      KubeControlPlane plane = KubeControlPlane.start(binaries, workDir);
      runs.add(plane.startupTimes());
      plane.close();
      plane.deleteAll();
    }
    TextTable table = new TextTable("part", "median ms", "min ms", "max ms");
    row(table, "etcd", runs, KubeControlPlane.StartupTimes::etcdMillis);
    row(table, "kube-apiserver " + binaries.kubernetesVersion(), runs, KubeControlPlane.StartupTimes::apiServerMillis);
    row(table, "kube-controller-manager", runs, KubeControlPlane.StartupTimes::controllerManagerMillis);
    row(table, "total", runs, KubeControlPlane.StartupTimes::totalMillis);
    System.out.print(table.markdown());
  }

  private static void row(TextTable table, String part, List<KubeControlPlane.StartupTimes> runs,
      ToLongFunction<KubeControlPlane.StartupTimes> value) {
    long[] sorted = runs.stream().mapToLong(value).sorted().toArray();
    table.add(part, String.valueOf(sorted[sorted.length / 2]), String.valueOf(sorted[0]),
        String.valueOf(sorted[sorted.length - 1]));
  }
}
