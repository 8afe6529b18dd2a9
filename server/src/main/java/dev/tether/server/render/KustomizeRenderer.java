package dev.tether.server.render;

import dev.tether.common.config.ManifestSource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Renders a Kustomize overlay with the real {@code kustomize build}, run on a private copy of the
 * files the overlay's kustomizations may read, with no plugins, exec or Helm, loads restricted to
 * each kustomization's root, an environment that holds nothing of the server's (no credentials,
 * no kubeconfig, no git on PATH), and limits on time and output.
 */
public final class KustomizeRenderer implements Renderer {
  /** kustomize's errors are short; a runaway one is cut. */
  private static final int MAX_ERROR_BYTES = 16 * 1024;

  private final KustomizeProgram program;
  private final Path workDir;
  private final RenderLimits limits;

  /** @param workDir where private render folders are made (one per render, removed afterwards) */
  public KustomizeRenderer(KustomizeProgram program, Path workDir, RenderLimits limits) {
    this.program = program;
    this.workDir = workDir;
    this.limits = limits;
    RenderWorkspace.removeLeftovers(workDir);
  }

  @Override
  public ManifestSource.Kind kind() {
    return ManifestSource.Kind.KUSTOMIZE;
  }

  @Override
  public RenderPlan plan(ProjectTree tree, ManifestSource source) throws RenderException {
    String overlay = ((ManifestSource.Kustomize) source).path();
    if (!tree.isDirectory(overlay)) {
      throw new RenderException("directory " + overlay + " is not in project '" + tree.projectId() + "' at commit " + tree.commit());
    }
    List<String> roots = KustomizationCheck.check(tree, overlay, limits.maxFileBytes());
    // Each kustomization reads only below its own directory: those subtrees are all the render can see.
    java.util.TreeMap<String, ProjectTree.Entry> inputs = new java.util.TreeMap<>();
    for (String root : roots) {
      for (ProjectTree.Entry entry : tree.under(root)) {
        if (entry.kind() != ProjectTree.Kind.FILE) {
          throw new RenderException(entry.path() + " is a " + (entry.kind() == ProjectTree.Kind.SYMLINK ? "symbolic link" : "submodule")
              + " in " + root + ", which kustomize reads; a kustomize source reads only regular files");
        }
        inputs.put(entry.path(), entry);
        if (inputs.size() > limits.maxFiles()) {
          throw new RenderException("the overlay " + overlay + " reads more than " + limits.maxFiles() + " files (the limit per render)");
        }
      }
    }
    MessageDigest digest = sha256();
    digest.update(("kustomize\0" + overlay + "\n").getBytes(StandardCharsets.UTF_8));
    inputs.values().forEach(e -> digest.update((e.path() + "\0" + e.contentId() + "\n").getBytes(StandardCharsets.UTF_8)));
    return new RenderPlan(tree, source, List.copyOf(inputs.values()), "sha256:" + HexFormat.of().formatHex(digest.digest()));
  }

  @Override
  public byte[] render(RenderPlan plan) throws RenderException {
    String overlay = ((ManifestSource.Kustomize) plan.source()).path();
    Path executable = program.find();
    try (RenderWorkspace workspace = RenderWorkspace.create(workDir)) {
      long total = 0;
      for (ProjectTree.Entry entry : plan.inputs()) {
        byte[] content = plan.tree().read(entry, limits.maxFileBytes());
        total += content.length;
        if (total > limits.maxTotalBytes()) {
          throw new RenderException("the files overlay " + overlay + " reads are more than " + limits.maxTotalBytes()
              + " bytes together (the limit per render)");
        }
        workspace.write(entry.path(), content);
      }
      return run(executable, workspace, overlay);
    }
  }

  private byte[] run(Path executable, RenderWorkspace workspace, String overlay) throws RenderException {
    ProcessBuilder builder = new ProcessBuilder(executable.toString(), "build", overlay,
        "--load-restrictor", "LoadRestrictionsRootOnly")
        .directory(workspace.project().toFile());
    Map<String, String> env = builder.environment();
    env.clear();
    // Nothing of the server's environment: no tokens, kubeconfig, proxies or git; plugins would be looked for in home.
    env.put("PATH", workspace.bin().toString());
    env.put("HOME", workspace.home().toString());
    env.put("XDG_CONFIG_HOME", workspace.home().toString());
    env.put("KUSTOMIZE_PLUGIN_HOME", workspace.home().resolve("plugins").toString());
    builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new RenderException("cannot run " + executable + ": " + e.getMessage(), true);
    }
    AtomicBoolean outputTooLarge = new AtomicBoolean();
    Capture stdout = new Capture(process.getInputStream(), limits.maxOutputBytes(), () -> {
      outputTooLarge.set(true);
      process.destroyForcibly();
    });
    Capture stderr = new Capture(process.getErrorStream(), MAX_ERROR_BYTES, () -> { });
    try {
      if (!process.waitFor(limits.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
        kill(process);
        throw new RenderException("kustomize build " + overlay + " did not finish within "
            + (limits.timeout().toMillis() % 1000 == 0 ? limits.timeout().toSeconds() + "s" : limits.timeout().toMillis() + "ms")
            + " (the render time limit)", true);
      }
      stdout.join();
      stderr.join();
    } catch (InterruptedException e) {
      kill(process);
      Thread.currentThread().interrupt();
      throw new RenderException("kustomize build " + overlay + " was interrupted", true);
    }
    if (outputTooLarge.get()) {
      throw new RenderException("kustomize build " + overlay + " printed more than " + limits.maxOutputBytes()
          + " bytes (the render output limit)");
    }
    if (process.exitValue() != 0) {
      String said = workspace.projectPaths(new String(stderr.bytes(), StandardCharsets.UTF_8).strip());
      if (said.startsWith("Error: ")) {
        said = said.substring("Error: ".length());
      }
      throw new RenderException(said.isEmpty() ? "kustomize build " + overlay + " failed with exit code " + process.exitValue() : said);
    }
    return stdout.bytes();
  }

  private static void kill(Process process) {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }

  /** Reads a stream on its own thread, keeping at most {@code max} bytes and calling {@code overflow} past that. */
  private static final class Capture {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final Thread thread;

    Capture(InputStream in, long max, Runnable overflow) {
      thread = new Thread(() -> {
        byte[] buffer = new byte[64 * 1024];
        try (in) {
          for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
            synchronized (bytes) {
              if (bytes.size() + n > max) {
                bytes.write(buffer, 0, (int) Math.max(0, max - bytes.size()));
                overflow.run();
                return;
              }
              bytes.write(buffer, 0, n);
            }
          }
        } catch (IOException e) {
          // The process was killed, or closed its end: what was read is what there is.
        }
      }, "kustomize-output");
      thread.setDaemon(true);
      thread.start();
    }

    void join() throws InterruptedException {
      thread.join();
    }

    byte[] bytes() {
      synchronized (bytes) {
        return bytes.toByteArray();
      }
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
