package dev.tether.testkit.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The test API server's audit log (one JSON event per request), read from a mark, to count what a
 * client really asked the API server to do.
 */
public final class AuditLog {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> WRITES = Set.of("create", "update", "patch", "delete", "deletecollection");

  private final Path file;

  public AuditLog(KubeControlPlane plane) {
    this.file = plane.auditLog();
  }

  /**
   * Where the log's last complete line ends now: the API server may be writing a line while a test marks, and
   * a mark in the middle of a line would leave half an event on either side.
   */
  public long mark() {
    if (!Files.exists(file)) {
      return 0;
    }
    try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
      long end = in.length();
      while (end > 0) {
        int chunk = (int) Math.min(end, 64 * 1024);
        byte[] tail = new byte[chunk];
        in.seek(end - chunk);
        in.readFully(tail);
        for (int i = chunk - 1; i >= 0; i--) {
          if (tail[i] == '\n') {
            return end - chunk + i + 1;
          }
        }
        end -= chunk;
      }
      return 0;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Completed requests since {@code mark} whose user agent starts with {@code userAgentPrefix}. */
  public List<JsonNode> requestsSince(long mark, String userAgentPrefix) {
    return requestsBetween(mark, Long.MAX_VALUE, userAgentPrefix);
  }

  /** Completed requests logged between two marks (the second one, or the end of the log if it is further) by that user agent. */
  public List<JsonNode> requestsBetween(long mark, long endMark, String userAgentPrefix) {
    List<JsonNode> events = new ArrayList<>();
    try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
      in.seek(mark);
      byte[] rest = new byte[(int) (Math.min(in.length(), endMark) - mark)];
      in.readFully(rest);
      String text = new String(rest, StandardCharsets.UTF_8);
      // A last line without its end is still being written: the next read has it whole.
      for (String line : text.substring(0, text.lastIndexOf('\n') + 1).split("\n")) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode event = JSON.readTree(line);
        if ("ResponseComplete".equals(event.path("stage").asText())
            && event.path("userAgent").asText().startsWith(userAgentPrefix)) {
          events.add(event);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the audit log " + file, e);
    }
    return events;
  }

  /**
   * kubectl's exec, attach and port-forward requests since {@code mark}, once one of each is in the log (the
   * API server writes a stream's event as the stream ends); fails after 10 s without all three.
   */
  public List<JsonNode> awaitStreamRequests(long mark) {
    Set<String> streams = Set.of("exec", "attach", "portforward");
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
    while (true) {
      List<JsonNode> found = requestsSince(mark, "kubectl").stream()
          .filter(e -> streams.contains(e.path("objectRef").path("subresource").asText())).toList();
      Set<String> seen = new java.util.TreeSet<>();
      found.forEach(e -> seen.add(e.path("objectRef").path("subresource").asText()));
      if (seen.equals(streams)) {
        return found;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("stream subresources in the audit log: expected " + new java.util.TreeSet<>(streams) + ", found " + seen);
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  /** kubectl's exec requests since {@code mark} whose stream has ended (the API server logs a stream as it ends). */
  public long execsEnded(long mark) {
    return requestsSince(mark, "kubectl").stream().filter(e -> e.path("objectRef").path("subresource").asText().equals("exec")).count();
  }

  /** Write requests (create, update, patch, delete) since {@code mark} by that user agent. */
  public List<JsonNode> writesSince(long mark, String userAgentPrefix) {
    return writesBetween(mark, Long.MAX_VALUE, userAgentPrefix);
  }

  /** Write requests between two marks by that user agent. */
  public List<JsonNode> writesBetween(long mark, long endMark, String userAgentPrefix) {
    return requestsBetween(mark, endMark, userAgentPrefix).stream().filter(e -> WRITES.contains(e.path("verb").asText())).toList();
  }
}
