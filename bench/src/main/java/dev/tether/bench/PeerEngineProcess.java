package dev.tether.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One running reference engine (bench/reference/cli-utils-applier or flux-ssa-applier). It starts,
 * builds its clients and discovers the API server's kinds, says "ready"; each {@link #sync()} then
 * asks for one sync and reads its result. One process for several syncs, as a controller runs.
 */
final class PeerEngineProcess implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long START_SECONDS = 120;
  private static final long SYNC_MINUTES = 60;

  /** What the program reports of one sync: its own time, from reading the files to the end of the run. */
  record Result(long ms, JsonNode details) {}

  private final Process process;
  private final BufferedReader out;
  private final Writer in;
  private final Path log;

  private PeerEngineProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
    this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
  }

  static PeerEngineProcess start(List<String> command, Path log) throws Exception {
    Process process = new ProcessBuilder(command).redirectError(log.toFile()).start();
    PeerEngineProcess engine = new PeerEngineProcess(process, log);
    String ready = engine.readLine(TimeUnit.SECONDS.toMillis(START_SECONDS));
    if (ready == null || !ready.startsWith("ready")) {
      engine.close();
      throw new IllegalStateException(command.get(0) + " did not start: " + ready + "; see " + log);
    }
    return engine;
  }

  Result sync() throws Exception {
    in.write("sync\n");
    in.flush();
    String line = readLine(TimeUnit.MINUTES.toMillis(SYNC_MINUTES));
    if (line == null) {
      throw new IllegalStateException("no sync result; see " + log);
    }
    JsonNode result = JSON.readTree(line);
    if (result.path("failed").asInt() > 0) {
      throw new IllegalStateException(result.path("failed").asInt() + " object(s) failed: "
          + result.path("firstError").asText() + "; see " + log);
    }
    return new Result(result.path("ms").asLong(), result);
  }

  private String readLine(long timeoutMillis) throws Exception {
    CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
      try {
        return out.readLine();
      } catch (IOException e) {
        return null;
      }
    });
    try {
      return line.get(timeoutMillis, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      return null;
    }
  }

  @Override
  public void close() throws InterruptedException {
    try {
      in.close();
    } catch (IOException ignored) {
      // It ended already.
    }
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
