package dev.tether.it.readme;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shell blocks of a Markdown file (fences opened with {@code ```bash}, {@code ```sh} or {@code ```shell}),
 * each with the line it starts on, the heading it is under, and, when the line before it (blank lines
 * aside) is {@code <!-- not run in tests: REASON -->}, why a test may not run it. A marker that is not
 * followed by a shell block is an error, so a moved marker cannot silently skip another block.
 */
record ReadmeShellBlocks(List<Block> blocks) {
  static final String NOT_RUN_PREFIX = "<!-- not run in tests:";
  private static final Set<String> SHELLS = Set.of("bash", "sh", "shell");
  private static final Pattern FENCE = Pattern.compile("^```\\s*([\\w-]*)\\s*$");
  private static final Pattern NOT_RUN = Pattern.compile("^" + Pattern.quote(NOT_RUN_PREFIX) + "\\s*(.+?)\\s*-->\\s*$");

  /** @param line 1-based line of the opening fence; {@code notRun} the reason it is not run, if marked */
  record Block(int line, String heading, String text, Optional<String> notRun) {
    String where() {
      return "README.md:" + line + " (" + heading + ")";
    }
  }

  static ReadmeShellBlocks read(Path markdown) throws IOException {
    List<String> lines = Files.readAllLines(markdown);
    List<Block> blocks = new ArrayList<>();
    String heading = "top";
    String pendingReason = null;
    int pendingLine = 0;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      Matcher fence = FENCE.matcher(line);
      Matcher marker = NOT_RUN.matcher(line.strip());
      if (line.startsWith("#")) {
        heading = line.replaceFirst("^#+\\s*", "");
      }
      if (marker.matches()) {
        pendingReason = marker.group(1);
        pendingLine = i + 1;
        continue;
      }
      if (line.strip().startsWith(NOT_RUN_PREFIX)) {
        throw new IllegalStateException("README.md:" + (i + 1) + ": write the marker as " + NOT_RUN_PREFIX + " <reason> -->");
      }
      if (!fence.matches()) {
        if (pendingReason != null && !line.isBlank()) {
          throw new IllegalStateException("README.md:" + pendingLine + ": the not-run marker is not right before a shell block");
        }
        continue;
      }
      int start = i;
      StringBuilder text = new StringBuilder();
      for (i++; i < lines.size() && !lines.get(i).strip().equals("```"); i++) {
        text.append(lines.get(i)).append('\n');
      }
      if (i == lines.size()) {
        throw new IllegalStateException("README.md:" + (start + 1) + ": the code block is never closed");
      }
      boolean shell = SHELLS.contains(fence.group(1));
      if (pendingReason != null && !shell) {
        throw new IllegalStateException("README.md:" + pendingLine + ": the not-run marker is before a '" + fence.group(1)
            + "' block, which is not run anyway");
      }
      if (shell) {
        blocks.add(new Block(start + 1, heading, text.toString(), Optional.ofNullable(pendingReason)));
      }
      pendingReason = null;
    }
    return new ReadmeShellBlocks(List.copyOf(blocks));
  }

  List<Block> toRun() {
    return blocks.stream().filter(b -> b.notRun().isEmpty()).toList();
  }

  List<Block> notRun() {
    return blocks.stream().filter(b -> b.notRun().isPresent()).toList();
  }
}
