package dev.tether.testkit.postgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The {@code initdb} and {@code postgres} programs of the PostgreSQL server installed on this machine:
 * the folder {@code TETHER_POSTGRES_BIN} names, else the newest Debian {@code postgresql-NN} package's.
 */
public record PostgresBinaries(Path dir) {
  private static final Path DEBIAN_VERSIONS = Path.of("/usr/lib/postgresql");

  public static PostgresBinaries locate() {
    String configured = System.getenv("TETHER_POSTGRES_BIN");
    if (configured != null && !configured.isBlank()) {
      PostgresBinaries named = new PostgresBinaries(Path.of(configured));
      if (!named.complete()) {
        throw new IllegalStateException("TETHER_POSTGRES_BIN=" + configured + " has no initdb and postgres programs: name the bin"
            + " folder of a PostgreSQL server installation");
      }
      return named;
    }
    return newestDebianInstallation().orElseThrow(() -> new IllegalStateException("no PostgreSQL server is installed (looked in "
        + DEBIAN_VERSIONS + "/*/bin): install Debian's postgresql package (tools/test.sh does), or set TETHER_POSTGRES_BIN to the"
        + " bin folder of another installation"));
  }

  private static Optional<PostgresBinaries> newestDebianInstallation() {
    if (!Files.isDirectory(DEBIAN_VERSIONS)) {
      return Optional.empty();
    }
    try (Stream<Path> versions = Files.list(DEBIAN_VERSIONS)) {
      return versions.filter(v -> v.getFileName().toString().matches("\\d+"))
          .max(Comparator.comparingInt(v -> Integer.parseInt(v.getFileName().toString())))
          .map(v -> new PostgresBinaries(v.resolve("bin")))
          .filter(PostgresBinaries::complete);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + DEBIAN_VERSIONS, e);
    }
  }

  private boolean complete() {
    return Files.isExecutable(initdb()) && Files.isExecutable(postgres());
  }

  public Path initdb() {
    return dir.resolve("initdb");
  }

  public Path postgres() {
    return dir.resolve("postgres");
  }
}
