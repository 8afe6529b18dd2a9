package dev.tether.common.yaml;

/** YAML that cannot be read safely, located at a 1-based line and column (0 when not known). */
public final class YamlProblem extends Exception {
  private final int line;
  private final int column;

  public YamlProblem(String message, int line, int column) {
    super(message);
    this.line = line;
    this.column = column;
  }

  public int line() {
    return line;
  }

  public int column() {
    return column;
  }
}
