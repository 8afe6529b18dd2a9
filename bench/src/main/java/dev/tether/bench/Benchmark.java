package dev.tether.bench;

import java.nio.file.Path;

/** One benchmark: runs its measurements and prints its own table. */
interface Benchmark {
  String name();

  String description();

  void run(Path workDir) throws Exception;
}
