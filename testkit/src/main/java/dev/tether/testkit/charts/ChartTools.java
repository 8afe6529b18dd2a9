package dev.tether.testkit.charts;

import dev.tether.testkit.process.ExternalCommand;
import dev.tether.testkit.process.ProcessResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Helm CLI and the distribution registry built by tools/charts/build.sh, found at the folder
 * named by the system property {@code tether.charts.dir}, the environment variable
 * {@code TETHER_CHARTS_DIR}, or the build script's cache folder for the Helm version pinned in
 * tools/charts/go.mod. Helm runs with its config, cache and data in a folder of the caller's, never
 * the user's own.
 */
public record ChartTools(Path dir, Path helmHome) {
  private static final Pattern PINNED = Pattern.compile("(?m)^\\s*helm\\.sh/helm/v3\\s+(v\\S+)");

  public Path helm() {
    return dir.resolve("helm");
  }

  public Path registry() {
    return dir.resolve("registry");
  }

  /** Finds the programs, or fails saying how to build them: tests never skip for want of them. */
  public static ChartTools locate(Path helmHome) {
    Path dir = Optional.ofNullable(System.getProperty("tether.charts.dir"))
        .or(() -> Optional.ofNullable(System.getenv("TETHER_CHARTS_DIR")))
        .map(Path::of)
        .orElseGet(() -> cacheRoot().resolve("charts").resolve(pinnedVersion()));
    for (String program : new String[] {"helm", "registry"}) {
      if (!Files.isExecutable(dir.resolve(program))) {
        throw new IllegalStateException("Chart test program " + dir.resolve(program) + " is missing. Run tools/charts/build.sh "
            + "(tools/test.sh does it for you) and try again.");
      }
    }
    return new ChartTools(dir, helmHome);
  }

  /** Runs helm with the arguments; fails with its output when it fails. */
  public ProcessResult helm(String... args) {
    try {
      Files.createDirectories(helmHome);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return ExternalCommand.of(helm().toString()).args(args)
        .env("HELM_CONFIG_HOME", helmHome.resolve("config").toString())
        .env("HELM_CACHE_HOME", helmHome.resolve("cache").toString())
        .env("HELM_DATA_HOME", helmHome.resolve("data").toString())
        .env("HELM_REGISTRY_CONFIG", helmHome.resolve("registry.json").toString())
        .env("HOME", helmHome.toString())
        .timeout(Duration.ofMinutes(1)).run().orThrow();
  }

  /** {@code helm package} of a chart folder into {@code into}; the archive's path. */
  public Path packageChart(Path chart, Path into) {
    String out = helm("package", chart.toString(), "--destination", into.toString()).stdout();
    Matcher m = Pattern.compile("saved it to: (\\S+\\.tgz)").matcher(out);
    if (!m.find()) {
      throw new IllegalStateException("helm package printed no archive path: " + out);
    }
    return Path.of(m.group(1));
  }

  private static String pinnedVersion() {
    for (Path d = Path.of(System.getProperty("user.dir")).toAbsolutePath(); d != null; d = d.getParent()) {
      Path goMod = d.resolve("tools/charts/go.mod");
      if (Files.isRegularFile(goMod)) {
        try {
          Matcher m = PINNED.matcher(Files.readString(goMod));
          if (m.find()) {
            return m.group(1);
          }
        } catch (IOException e) {
          throw new UncheckedIOException("cannot read " + goMod, e);
        }
      }
    }
    throw new IllegalStateException("Cannot find tools/charts/go.mod above " + System.getProperty("user.dir")
        + " to learn the Helm version; set TETHER_CHARTS_DIR to the folder tools/charts/build.sh printed.");
  }

  private static Path cacheRoot() {
    String tether = System.getenv("TETHER_CACHE");
    if (tether != null && !tether.isBlank()) {
      return Path.of(tether);
    }
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("tether");
  }
}
