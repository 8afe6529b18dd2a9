package dev.tether.testkit.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A shell loop that ends the given programs if this JVM dies without running its shutdown hooks
 * (killed by a CI timeout, say), so nothing a test started outlives it: SIGTERM, then SIGKILL five
 * seconds later. Destroy the returned process once the programs have been stopped the normal way.
 */
public final class Watchdog {
  private Watchdog() {}

  public static Process start(String what, List<Process> programs) {
    List<String> command = new ArrayList<>(List.of("sh", "-c",
        "while kill -0 \"$0\" 2>/dev/null; do sleep 1; done; kill \"$@\" 2>/dev/null; sleep 5; kill -9 \"$@\" 2>/dev/null",
        String.valueOf(ProcessHandle.current().pid())));
    programs.forEach(p -> command.add(String.valueOf(p.pid())));
    try {
      return new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the watchdog of " + what, e);
    }
  }
}
