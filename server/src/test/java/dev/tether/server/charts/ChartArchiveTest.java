package dev.tether.server.charts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Packaged charts are hostile input: what is unpacked, and each limit and name rule refused by name. */
class ChartArchiveTest {
  private static final ChartArchive.Limits LIMITS = new ChartArchive.Limits(10, 100, 250);

  @TempDir Path dir;

  /** A .tgz of regular files, in order. */
  private static byte[] tgz(Map<String, String> files) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(bytes))) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (Map.Entry<String, String> file : files.entrySet()) {
        byte[] content = file.getValue().getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry entry = new TarArchiveEntry(file.getKey(), true);
        entry.setSize(content.length);
        tar.putArchiveEntry(entry);
        tar.write(content);
        tar.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }

  private static byte[] withLink(String name, byte linkType) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(bytes))) {
      TarArchiveEntry entry = new TarArchiveEntry(name, linkType, true);
      entry.setLinkName("/etc/passwd");
      tar.putArchiveEntry(entry);
      tar.closeArchiveEntry();
    }
    return bytes.toByteArray();
  }

  @Test
  void unpacksTheChartFolderDroppingItsName() throws Exception {
    byte[] archive = tgz(Map.of("web/Chart.yaml", "apiVersion: v2\nname: web\nversion: 1.0.0\n",
        "web/templates/cm.yaml", "kind: ConfigMap\n"));

    ChartArchive.unpack(archive, dir.resolve("out"), LIMITS, "chart web 1.0.0");

    assertThat(dir.resolve("out/Chart.yaml")).content().contains("name: web");
    assertThat(dir.resolve("out/templates/cm.yaml")).content().isEqualTo("kind: ConfigMap\n");
  }

  @Test
  void refusesNamesThatLeaveTheChart() throws Exception {
    assertThatThrownBy(() -> ChartArchive.unpack(tgz(Map.of("web/../../evil.yaml", "x")), dir.resolve("a"), LIMITS, "chart web 1.0.0"))
        .isInstanceOf(ChartFetchException.class).hasMessage("chart web 1.0.0 has an entry named 'web/../../evil.yaml', which climbs "
            + "out of the chart with '..'");
    assertThatThrownBy(() -> ChartArchive.unpack(tgz(Map.of("/etc/cron.d/x", "x")), dir.resolve("b"), LIMITS, "chart web"))
        .hasMessageContaining("'/etc/cron.d/x', which is absolute");
    assertThatThrownBy(() -> ChartArchive.unpack(tgz(Map.of("web\\..\\x", "x")), dir.resolve("c"), LIMITS, "chart web"))
        .hasMessageContaining("a NUL or a backslash");
    assertThat(Files.exists(dir.resolve("evil.yaml"))).isFalse();
  }

  @Test
  void refusesLinksAndDevices() throws Exception {
    assertThatThrownBy(() -> ChartArchive.unpack(withLink("web/templates/x.yaml", TarArchiveEntry.LF_SYMLINK), dir.resolve("a"), LIMITS,
        "chart web")).hasMessage("chart web has 'web/templates/x.yaml', which is a symbolic link; a chart archive may hold only "
        + "regular files and folders");
    assertThatThrownBy(() -> ChartArchive.unpack(withLink("web/x", TarArchiveEntry.LF_LINK), dir.resolve("b"), LIMITS, "chart web"))
        .hasMessageContaining("which is a hard link");
    assertThatThrownBy(() -> ChartArchive.unpack(withLink("web/x", TarArchiveEntry.LF_CHR), dir.resolve("c"), LIMITS, "chart web"))
        .hasMessageContaining("which is a device");
  }

  @Test
  void namesEachLimitItHits() throws Exception {
    Map<String, String> many = new LinkedHashMap<>();
    for (int i = 0; i < 11; i++) {
      many.put("web/templates/t" + i + ".yaml", "x");
    }
    assertThatThrownBy(() -> ChartArchive.unpack(tgz(many), dir.resolve("a"), LIMITS, "chart web"))
        .hasMessage("chart web has more than 10 entries (the limit on entries per chart archive)");
    assertThatThrownBy(() -> ChartArchive.unpack(tgz(Map.of("web/big.yaml", "x".repeat(101))), dir.resolve("b"), LIMITS, "chart web"))
        .hasMessage("chart web has 'web/big.yaml' of 101 bytes; the limit per file in a chart archive is 100");
    Map<String, String> large = new LinkedHashMap<>();
    for (int i = 0; i < 3; i++) {
      large.put("web/t" + i + ".yaml", "x".repeat(90));
    }
    assertThatThrownBy(() -> ChartArchive.unpack(tgz(large), dir.resolve("c"), LIMITS, "chart web"))
        .hasMessage("chart web unpacks to more than 250 bytes (the limit on a chart archive's total size)");
  }

  @Test
  void refusesWhatIsNoGzippedTar() {
    assertThatThrownBy(() -> ChartArchive.unpack("not an archive".getBytes(StandardCharsets.UTF_8), dir.resolve("a"), LIMITS, "chart web"))
        .hasMessageStartingWith("chart web cannot be read as a gzip-compressed tar archive");
  }
}
