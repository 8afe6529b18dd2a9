package dev.tether.server.render;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Keeps Helm's hook objects in a render. Helm takes every object annotated {@code helm.sh/hook} out of
 * the release manifest, and helm-java returns only that manifest: it has no way to return the hooks
 * ({@code helm template} on the command line prints them; helm-java's template and dry-run install do
 * not). So the chart's templates and values are rendered with every {@code helm.sh/hook} renamed to a
 * key Helm does not know, which keeps those objects in the manifest, and the key is renamed back in the
 * output. The agent then runs them in sync phases, as Argo CD maps Helm hooks (it reads the
 * {@code helm.sh/hook} annotations the same way for every source).
 *
 * <p>What this changes, and why it is safe: only the text {@code helm.sh/hook} (so also
 * {@code helm.sh/hook-weight} and {@code helm.sh/hook-delete-policy}) in the files Helm renders from, and
 * exactly back in all it rendered. A template that hashes its own text containing the key ({@code sha256sum} of an
 * included template) gets another, equally stable, checksum than {@code helm template} prints.
 */
final class HelmHookRenaming {
  static final String HELM_KEY = "helm.sh/hook";
  /** What Helm sees instead; a valid annotation key, also with -weight or -delete-policy appended. */
  static final String RENAMED_KEY = "render.tether.dev/helm-hook";

  private HelmHookRenaming() {}

  /**
   * The content Helm reads for a file of the render, with the hook key renamed: templates, values and
   * other files of the chart and its subcharts (a template may render one with {@code tpl} and
   * {@code .Files.Get}), and values files. Left as they are: {@code Chart.yaml} and {@code Chart.lock},
   * which are no objects, {@code crds/}, which Helm never templates, and a file that is not UTF-8 text.
   *
   * @param inChart the file's path inside the chart, or null for a values file outside it
   */
  static byte[] forHelm(String inChart, byte[] content) {
    if (inChart != null && inChart.matches("(charts/[^/]+/)*(Chart\\.yaml|Chart\\.lock|crds/.+)")) {
      return content;
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(content)).toString();
    } catch (CharacterCodingException binary) {
      return content;
    }
    return text.contains(HELM_KEY) ? text.replace(HELM_KEY, RENAMED_KEY).getBytes(StandardCharsets.UTF_8) : content;
  }

  /**
   * Renames the hook key in every file of a chart unpacked from an archive (a chart from a repository, a
   * fetched or packaged subchart), by the same rules as {@link #forHelm(String, byte[])}; the archive's
   * top folder is part of {@code dir}'s relative paths, so the rules look at each path's last chart level.
   */
  static void renameUnder(Path dir) throws IOException {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(dir)) {
      files = walk.filter(Files::isRegularFile).toList();
    }
    for (Path file : files) {
      String relative = dir.relativize(file).toString();
      String inChart = relative.matches("(.*/)?(Chart\\.yaml|Chart\\.lock)") || relative.matches("(.*/)?crds/.+") ? "Chart.yaml" : relative;
      byte[] content = Files.readAllBytes(file);
      byte[] renamed = forHelm(inChart, content);
      if (renamed != content) {
        Files.write(file, renamed);
      }
    }
  }

  /** Inline values as Helm reads them. */
  static String forHelm(String inlineValues) {
    return inlineValues.replace(HELM_KEY, RENAMED_KEY);
  }

  /** Helm's output with the hook key as the chart wrote it. */
  static String fromHelm(String rendered) {
    return rendered.replace(RENAMED_KEY, HELM_KEY);
  }
}
