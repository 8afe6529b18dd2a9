package dev.tether.testkit.tether;

import dev.tether.testkit.process.ExternalCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The runnable `tether` jar that the cli module builds, run as a separate process. */
public final class TetherJar {
  private TetherJar() {}

  public static Path path() {
    String configured = System.getProperty("tether.jar");
    if (configured == null) {
      throw new IllegalStateException("system property tether.jar is not set; run the tests through Maven (tools/test.sh)");
    }
    Path jar = Path.of(configured).toAbsolutePath().normalize();
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " does not exist; build it with `mvn -pl cli -am package`");
    }
    return jar;
  }

  /** {@code java -jar tether.jar args…} with the JVM that runs the tests. */
  public static List<String> command(String... args) {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", path().toString()));
    command.addAll(List.of(args));
    return command;
  }

  public static ExternalCommand run(String... args) {
    return ExternalCommand.of(command(args));
  }
}
