package dev.tether.bench;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Runs the benchmarks named on the command line, or all of them. Each prints its figures as a table;
 * see README's "Benchmarks" section for what they mean.
 */
public final class Benchmarks {
  private static final List<Benchmark> ALL = List.of(new ControlPlaneStartupBenchmark(), new GitopsSyncBenchmark(),
      new KubeProxyBenchmark(), new AgentMemoryBenchmark(), new RenderBenchmark(), new AgentsScaleBenchmark());

  private Benchmarks() {}

  /** Every run starts from nothing: leftovers of an earlier run would change what is measured. */
  private static void deleteRecursively(Path dir) throws java.io.IOException {
    if (java.nio.file.Files.exists(dir)) {
      try (var walk = java.nio.file.Files.walk(dir)) {
        for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
          java.nio.file.Files.delete(p);
        }
      }
    }
  }

  public static void main(String[] args) throws Exception {
    Map<String, Benchmark> byName = ALL.stream().collect(Collectors.toMap(Benchmark::name, Function.identity()));
    List<String> names = args.length == 0 ? ALL.stream().map(Benchmark::name).toList() : List.of(args);
    for (String name : names) {
      if (!byName.containsKey(name)) {
        System.err.println("Unknown benchmark '" + name + "'. Known: "
            + ALL.stream().map(b -> b.name() + " (" + b.description() + ")").collect(Collectors.joining(", ")));
        System.exit(2);
      }
    }
    Path workDir = Path.of(System.getProperty("tether.bench.workdir", "target/bench")).toAbsolutePath();
    for (String name : names) {
      Benchmark benchmark = byName.get(name);
      System.out.println();
      System.out.println("== " + benchmark.name() + ": " + benchmark.description());
      Path dir = workDir.resolve(name);
      deleteRecursively(dir);
      benchmark.run(dir);
    }
  }
}
