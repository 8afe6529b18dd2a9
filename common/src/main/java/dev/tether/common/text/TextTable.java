package dev.tether.common.text;

import java.util.ArrayList;
import java.util.List;

/**
 * A plain-text table whose columns are as wide as their widest cell: Markdown-style for benchmark
 * output (pastes into README), or plain for terminal listings.
 */
public final class TextTable {
  private final List<String[]> rows = new ArrayList<>();

  public TextTable(String... header) {
    rows.add(header);
  }

  public void add(String... cells) {
    if (cells.length != rows.get(0).length) {
      throw new IllegalArgumentException("row has " + cells.length + " cells, header has " + rows.get(0).length);
    }
    rows.add(cells);
  }

  public boolean isEmpty() {
    return rows.size() == 1;
  }

  /** Plain columns with a header line, as kubectl prints them. */
  public String plain() {
    int[] width = widths();
    StringBuilder out = new StringBuilder();
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < width.length; i++) {
        line.append(String.format("%-" + width[i] + "s   ", row[i]));
      }
      out.append(line.toString().stripTrailing()).append('\n');
    }
    return out.toString();
  }

  /** A Markdown table. */
  public String markdown() {
    int[] width = widths();
    StringBuilder out = new StringBuilder();
    for (int r = 0; r < rows.size(); r++) {
      StringBuilder line = new StringBuilder("| ");
      for (int i = 0; i < width.length; i++) {
        line.append(String.format("%-" + width[i] + "s | ", rows.get(r)[i]));
      }
      out.append(line.toString().stripTrailing()).append('\n');
      if (r == 0) {
        out.append('|');
        for (int w : width) {
          out.append("-".repeat(w + 2)).append('|');
        }
        out.append('\n');
      }
    }
    return out.toString();
  }

  private int[] widths() {
    int[] width = new int[rows.get(0).length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        width[i] = Math.max(width[i], row[i].length());
      }
    }
    return width;
  }
}
