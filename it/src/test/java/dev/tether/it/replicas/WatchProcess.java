package dev.tether.it.replicas;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A long-running command (kubectl --watch) whose output, stdout and stderr together, is read as it grows. */
final class WatchProcess implements AutoCloseable {
  private final Process process;
  private final Path output;

  private WatchProcess(Process process, Path output) {
    this.process = process;
    this.output = output;
  }

  static WatchProcess start(Path output, String... command) throws IOException {
    return new WatchProcess(new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start(), output);
  }

  /** What it printed so far, line by line. */
  List<String> lines() throws IOException {
    return Files.readAllLines(output, StandardCharsets.UTF_8);
  }

  String text() throws IOException {
    return Files.readString(output, StandardCharsets.UTF_8);
  }

  boolean isAlive() {
    return process.isAlive();
  }

  int exitCode() {
    return process.exitValue();
  }

  @Override
  public void close() throws InterruptedException {
    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
  }
}
