package dev.tether.testkit.k8s;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Kubernetes programs built by tools/k8s/build.sh. Found, in order, at the folder named by the
 * system property {@code tether.k8s.dir}, the environment variable {@code TETHER_K8S_DIR}, or the
 * build script's cache folder for the version pinned in tools/k8s/go.mod.
 */
public record KubeBinaries(Path dir, String kubernetesVersion) {
  private static final List<String> PROGRAMS =
      List.of("kube-apiserver", "kube-controller-manager", "etcd", "kubectl", "kustomize");
  private static final Pattern PINNED = Pattern.compile("(?m)^\\s*k8s\\.io/kubernetes\\s+(v\\S+)");

  public Path kubeApiServer() {
    return dir.resolve("kube-apiserver");
  }

  public Path kubeControllerManager() {
    return dir.resolve("kube-controller-manager");
  }

  public Path etcd() {
    return dir.resolve("etcd");
  }

  public Path kubectl() {
    return dir.resolve("kubectl");
  }

  public Path kustomize() {
    return dir.resolve("kustomize");
  }

  /**
   * The test node (tools/k8s/testnode). Not required by {@link #locate()}: only tests that start a
   * {@link TestNode} need it, and it fails them with how to build it.
   */
  public Path testNode() {
    return dir.resolve("tether-testnode");
  }

  /** Finds the binaries, or fails saying how to build them: tests never skip for want of them. */
  public static KubeBinaries locate() {
    Optional<Path> goMod = findUpwards(Path.of(System.getProperty("user.dir")).toAbsolutePath(), "tools/k8s/go.mod");
    String version = goMod.map(KubeBinaries::pinnedVersion).orElse(null);
    Path dir = Optional.ofNullable(System.getProperty("tether.k8s.dir"))
        .or(() -> Optional.ofNullable(System.getenv("TETHER_K8S_DIR")))
        .map(Path::of)
        .orElseGet(() -> {
          if (version == null) {
            throw new IllegalStateException("Cannot find tools/k8s/go.mod above " + System.getProperty("user.dir")
                + " to learn the Kubernetes version; set TETHER_K8S_DIR to the folder tools/k8s/build.sh printed.");
          }
          return cacheRoot().resolve("k8s").resolve(version);
        });
    for (String program : PROGRAMS) {
      if (!Files.isExecutable(dir.resolve(program))) {
        throw new IllegalStateException("Kubernetes test binary " + dir.resolve(program)
            + " is missing. Run tools/k8s/build.sh (tools/test.sh does it for you) and try again.");
      }
    }
    return new KubeBinaries(dir, version != null ? version : dir.getFileName().toString());
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

  private static String pinnedVersion(Path goMod) {
    try {
      Matcher m = PINNED.matcher(Files.readString(goMod));
      if (!m.find()) {
        throw new IllegalStateException(goMod + " has no k8s.io/kubernetes require line");
      }
      return m.group(1);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + goMod, e);
    }
  }

  private static Optional<Path> findUpwards(Path start, String relative) {
    for (Path dir = start; dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve(relative);
      if (Files.isRegularFile(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }
}
