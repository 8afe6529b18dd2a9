package dev.tether.common.config;

import java.util.regex.Pattern;

/**
 * A {@code paths[].glob} with the GitLab agent's doublestar semantics: {@code **} as a whole path
 * segment matches zero or more directories, {@code *} and {@code ?} stay within a segment,
 * {@code {a,b}} alternates, {@code [...]} is a character class, and a leading {@code /} is optional.
 * Java's own glob matcher needs at least one directory for {@code **}/ and so cannot be used.
 */
public final class ManifestGlob {
  private final String glob;
  private final Pattern regex;

  private ManifestGlob(String glob, Pattern regex) {
    this.glob = glob;
    this.regex = regex;
  }

  public static ManifestGlob compile(String glob) {
    String g = glob.startsWith("/") ? glob.substring(1) : glob;
    StringBuilder re = new StringBuilder();
    int braces = 0;
    for (int i = 0; i < g.length(); i++) {
      char c = g.charAt(i);
      boolean segmentStart = i == 0 || g.charAt(i - 1) == '/';
      if (c == '*' && i + 1 < g.length() && g.charAt(i + 1) == '*' && segmentStart
          && (i + 2 == g.length() || g.charAt(i + 2) == '/')) {
        if (i + 2 == g.length()) {
          re.append(".*");
          i += 1;
        } else {
          re.append("(?:[^/]*/)*");
          i += 2;
        }
        continue;
      }
      switch (c) {
        case '*' -> {
          re.append("[^/]*");
          while (i + 1 < g.length() && g.charAt(i + 1) == '*') {
            i++;
          }
        }
        case '?' -> re.append("[^/]");
        case '{' -> {
          braces++;
          re.append("(?:");
        }
        case '}' -> {
          if (braces == 0) {
            throw new InvalidGlob(glob, "has a '}' without its '{'");
          }
          braces--;
          re.append(')');
        }
        case ',' -> re.append(braces > 0 ? "|" : ",");
        case '[' -> {
          int end = g.indexOf(']', i + 2);
          if (end < 0) {
            throw new InvalidGlob(glob, "has a '[' without its ']'");
          }
          String body = g.substring(i + 1, end);
          if (body.startsWith("!") || body.startsWith("^")) {
            body = "^" + body.substring(1);
          }
          re.append('[').append(body.replace("\\", "\\\\").replace("[", "\\[")).append(']');
          i = end;
        }
        case '\\' -> {
          if (i + 1 < g.length()) {
            re.append(Pattern.quote(String.valueOf(g.charAt(++i))));
          }
        }
        default -> re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    if (braces != 0) {
      throw new InvalidGlob(glob, "has a '{' without its '}'");
    }
    return new ManifestGlob(glob, Pattern.compile(re.toString()));
  }

  /** A glob that cannot be read; {@link #problem()} says why, to follow the glob in a message. */
  public static final class InvalidGlob extends IllegalArgumentException {
    private final String problem;

    InvalidGlob(String glob, String problem) {
      super("glob '" + glob + "' " + problem);
      this.problem = problem;
    }

    public String problem() {
      return problem;
    }
  }

  /** Whether a repository path (no leading slash) matches. */
  public boolean matches(String path) {
    return regex.matcher(path).matches();
  }

  /** Files in directories whose names start with a dot are never selected, as with the GitLab agent. */
  public static boolean inHiddenDirectory(String path) {
    int slash = path.lastIndexOf('/');
    if (slash < 0) {
      return false;
    }
    for (String dir : path.substring(0, slash).split("/")) {
      if (dir.startsWith(".")) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return glob;
  }
}
