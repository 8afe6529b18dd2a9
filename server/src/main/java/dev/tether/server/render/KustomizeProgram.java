package dev.tether.server.render;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Where the {@code kustomize} program is: the server's option, else the first on PATH. */
public final class KustomizeProgram {
  static final String OPTION = "--kustomize-path";
  private final Optional<Path> configured;

  public KustomizeProgram(Optional<Path> configured) {
    this.configured = configured;
  }

  /** The program to run, found afresh each time, so that installing kustomize needs no server restart. */
  Path find() throws RenderException {
    if (configured.isPresent()) {
      Path file = configured.get();
      if (!Files.isRegularFile(file) || !Files.isExecutable(file)) {
        throw new RenderException("the kustomize program " + file + " (tether server " + OPTION + ") is not an executable file; "
            + "point " + OPTION + " at the kustomize binary", true);
      }
      return file;
    }
    String path = System.getenv("PATH");
    if (path != null) {
      for (String dir : path.split(java.io.File.pathSeparator)) {
        if (!dir.isEmpty()) {
          Path candidate = Path.of(dir, "kustomize");
          if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
            return candidate;
          }
        }
      }
    }
    throw new RenderException("the server has no kustomize program: install kustomize v5 on the server's PATH, or give its "
        + "file with `tether server " + OPTION + " FILE`", true);
  }
}
