package dev.tether.server.charts;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Reads a packaged chart ({@code .tgz}) into a folder, as Helm's loader reads it (the first path
 * component, the chart's own folder, is dropped), treating it as hostile: only regular files and
 * folders, no name that is absolute or climbs out with {@code ..}, and limits on the number of
 * entries, each file's size and the total size, each named in its error.
 */
public final class ChartArchive {
  /**
   * @param maxEntries entries (files and folders) in one archive
   * @param maxFileBytes bytes of one file, unpacked
   * @param maxTotalBytes bytes of all files together, unpacked
   */
  public record Limits(int maxEntries, long maxFileBytes, long maxTotalBytes) {
    public static final Limits DEFAULT = new Limits(5_000, 5L * 1024 * 1024, 50L * 1024 * 1024);
  }

  private ChartArchive() {}

  /**
   * Unpacks {@code tgz} into {@code target} (created if missing).
   *
   * @param what the archive as messages name it, like {@code chart podinfo 6.5.2 from https://charts.example.com}
   */
  public static void unpack(byte[] tgz, Path target, Limits limits, String what) throws ChartFetchException {
    int entries = 0;
    long total = 0;
    // The JDK's gzip reader: Helm writes a gzip extra field that commons-compress's reader refuses as malformed.
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(new ByteArrayInputStream(tgz)))) {
      Files.createDirectories(target);
      TarArchiveEntry entry;
      while ((entry = tar.getNextEntry()) != null) {
        if (++entries > limits.maxEntries()) {
          throw refused(what, "has more than " + limits.maxEntries() + " entries (the limit on entries per chart archive)");
        }
        String name = entry.getName();
        String problem = nameProblem(name);
        if (problem != null) {
          throw refused(what, "has an entry named '" + printable(name) + "', which " + problem);
        }
        // isFile() alone is not enough: commons-compress counts some special entries as files.
        if (entry.isSymbolicLink() || entry.isLink() || entry.isCharacterDevice() || entry.isBlockDevice() || entry.isFIFO()
            || !entry.isFile() && !entry.isDirectory()) {
          throw refused(what, "has '" + printable(name) + "', which is a " + kind(entry)
              + "; a chart archive may hold only regular files and folders");
        }
        int slash = name.indexOf('/');
        String inChart = slash < 0 ? "" : name.substring(slash + 1);
        if (entry.isDirectory() || inChart.isEmpty() || inChart.endsWith("/")) {
          if (entry.isFile() && inChart.isEmpty()) {
            throw refused(what, "has the file '" + printable(name) + "' outside a chart folder; Helm packages a chart as "
                + "CHART-NAME/Chart.yaml, CHART-NAME/templates/...");
          }
          continue;
        }
        if (entry.getSize() > limits.maxFileBytes()) {
          throw refused(what, "has '" + printable(name) + "' of " + entry.getSize() + " bytes; the limit per file in a chart archive is "
              + limits.maxFileBytes());
        }
        total += entry.getSize();
        if (total > limits.maxTotalBytes()) {
          throw refused(what, "unpacks to more than " + limits.maxTotalBytes() + " bytes (the limit on a chart archive's total size)");
        }
        Path file = target.resolve(inChart).normalize();
        if (!file.startsWith(target)) {
          throw refused(what, "has an entry named '" + printable(name) + "', which would be written outside the chart's folder");
        }
        Files.createDirectories(file.getParent());
        try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
            LinkOption.NOFOLLOW_LINKS)) {
          copy(tar, out, limits.maxFileBytes(), what, name);
        }
      }
    } catch (IOException e) {
      throw refused(what, "cannot be read as a gzip-compressed tar archive (" + (e.getMessage() == null ? e.getClass().getSimpleName()
          : e.getMessage()) + ")");
    }
    if (entries == 0) {
      throw refused(what, "is empty");
    }
  }

  /**
   * What a plan needs from a packaged chart before it is unpacked: its Chart.yaml and the names of the
   * subcharts it holds under {@code charts/} (folders, or archives named NAME-VERSION.tgz).
   */
  public record Contents(byte[] chartYaml, List<String> vendored) {}

  /** Reads {@code tgz}'s Chart.yaml and subchart names, within the same limits as {@link #unpack}; writes nothing. */
  public static Contents contents(byte[] tgz, Limits limits, String what) throws ChartFetchException {
    byte[] chartYaml = null;
    java.util.TreeSet<String> vendored = new java.util.TreeSet<>();
    int entries = 0;
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(new ByteArrayInputStream(tgz)))) {
      TarArchiveEntry entry;
      while ((entry = tar.getNextEntry()) != null) {
        if (++entries > limits.maxEntries()) {
          throw refused(what, "has more than " + limits.maxEntries() + " entries (the limit on entries per chart archive)");
        }
        String name = entry.getName();
        int slash = name.indexOf('/');
        String inChart = slash < 0 ? "" : name.substring(slash + 1);
        if (!entry.isFile()) {
          continue; // unpack refuses what may not be there
        }
        if (inChart.equals("Chart.yaml")) {
          java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
          copy(tar, out, limits.maxFileBytes(), what, name);
          chartYaml = out.toByteArray();
        } else if (inChart.matches("charts/[^/]+/Chart\\.yaml")) {
          vendored.add(inChart.split("/")[1]);
        } else if (inChart.matches("charts/[^/]+\\.tgz")) {
          vendored.add(inChart.substring("charts/".length(), inChart.length() - 4).replaceAll("-v?[0-9][^/]*$", ""));
        }
      }
    } catch (IOException e) {
      throw refused(what, "cannot be read as a gzip-compressed tar archive (" + (e.getMessage() == null ? e.getClass().getSimpleName()
          : e.getMessage()) + ")");
    }
    if (chartYaml == null) {
      throw refused(what, "has no Chart.yaml in its chart folder; Helm packages a chart as CHART-NAME/Chart.yaml, CHART-NAME/templates/...");
    }
    return new Contents(chartYaml, List.copyOf(vendored));
  }

  /** Copies one entry, counting what really comes: a header may claim less than the entry holds. */
  private static void copy(InputStream in, OutputStream out, long max, String what, String name) throws IOException {
    byte[] buffer = new byte[16 * 1024];
    long written = 0;
    int n;
    while ((n = in.read(buffer)) > 0) {
      written += n;
      if (written > max) {
        throw new IOException("'" + name + "' is larger than the limit per file of " + max + " bytes");
      }
      out.write(buffer, 0, n);
    }
  }

  /** Why an entry name may not be unpacked, or null. */
  static String nameProblem(String name) {
    if (name.isEmpty()) {
      return "is empty";
    }
    if (name.startsWith("/") || name.matches("^[A-Za-z]:.*")) {
      return "is absolute";
    }
    if (name.indexOf('\0') >= 0 || name.indexOf('\\') >= 0) {
      return "holds a NUL or a backslash";
    }
    if (List.of(name.split("/")).contains("..")) {
      return "climbs out of the chart with '..'";
    }
    return null;
  }

  private static String kind(TarArchiveEntry entry) {
    if (entry.isSymbolicLink()) {
      return "symbolic link";
    }
    if (entry.isLink()) {
      return "hard link";
    }
    if (entry.isCharacterDevice() || entry.isBlockDevice()) {
      return "device";
    }
    if (entry.isFIFO()) {
      return "named pipe";
    }
    return "special entry";
  }

  private static String printable(String name) {
    return name.replaceAll("[\\p{Cntrl}]", "?");
  }

  private static ChartFetchException refused(String what, String problem) {
    return new ChartFetchException(what + " " + problem, false);
  }
}
