package dev.tether.bench;

import java.util.ArrayList;
import java.util.List;

/** A plain-text table whose columns are as wide as their widest cell, for benchmark output. */
final class Table {
  private final List<String[]> rows = new ArrayList<>();

  Table(String... header) {
    rows.add(header);
  }

  void add(String... cells) {
    if (cells.length != rows.get(0).length) {
      throw new IllegalArgumentException("row has " + cells.length + " cells, header has " + rows.get(0).length);
    }
    rows.add(cells);
  }

  void print() {
    int[] width = new int[rows.get(0).length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        width[i] = Math.max(width[i], row[i].length());
      }
    }
    for (int r = 0; r < rows.size(); r++) {
      StringBuilder line = new StringBuilder("| ");
      for (int i = 0; i < width.length; i++) {
        line.append(String.format("%-" + width[i] + "s | ", rows.get(r)[i]));
      }
      System.out.println(line.toString().stripTrailing());
      if (r == 0) {
        StringBuilder rule = new StringBuilder("|");
        for (int w : width) {
          rule.append("-".repeat(w + 2)).append("|");
        }
        System.out.println(rule);
      }
    }
  }
}
