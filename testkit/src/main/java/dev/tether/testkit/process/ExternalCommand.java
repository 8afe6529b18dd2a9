package dev.tether.testkit.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs a program to completion with a timeout, capturing its output. */
public final class ExternalCommand {
  private final List<String> command = new ArrayList<>();
  private final Map<String, String> environment = new HashMap<>();
  private Path directory;
  private Duration timeout = Duration.ofMinutes(2);
  private byte[] stdin;

  private ExternalCommand(List<String> command) {
    this.command.addAll(command);
  }

  public static ExternalCommand of(String... command) {
    return new ExternalCommand(List.of(command));
  }

  public static ExternalCommand of(List<String> command) {
    return new ExternalCommand(command);
  }

  public ExternalCommand args(String... args) {
    command.addAll(List.of(args));
    return this;
  }

  public ExternalCommand env(String name, String value) {
    environment.put(name, value);
    return this;
  }

  public ExternalCommand env(Map<String, String> values) {
    environment.putAll(values);
    return this;
  }

  public ExternalCommand directory(Path dir) {
    this.directory = dir;
    return this;
  }

  public ExternalCommand timeout(Duration timeout) {
    this.timeout = timeout;
    return this;
  }

  public ExternalCommand stdin(String text) {
    this.stdin = text.getBytes(StandardCharsets.UTF_8);
    return this;
  }

  public ProcessResult run() {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().putAll(environment);
    if (directory != null) {
      pb.directory(directory.toFile());
    }
    try {
      Process process = pb.start();
      CompletableFuture<String> out = drain(process.getInputStream());
      CompletableFuture<String> err = drain(process.getErrorStream());
      try (var in = process.getOutputStream()) {
        if (stdin != null) {
          in.write(stdin);
        }
      }
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        throw new IllegalStateException("`" + String.join(" ", command) + "` did not finish within " + timeout);
      }
      return new ProcessResult(List.copyOf(command), process.exitValue(), out.join(), err.join());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run `" + String.join(" ", command) + "`: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running `" + String.join(" ", command) + "`", e);
    }
  }

  private static CompletableFuture<String> drain(InputStream stream) {
    return CompletableFuture.supplyAsync(() -> {
      try (stream) {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "(output unreadable: " + e.getMessage() + ")";
      }
    });
  }
}
