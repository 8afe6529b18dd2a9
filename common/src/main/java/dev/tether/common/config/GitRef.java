package dev.tether.common.config;

/** Which commit of a project: a branch's tip, a tag, a fixed commit, or the default branch's tip. */
public record GitRef(Kind kind, String name) {
  public enum Kind { DEFAULT_BRANCH, BRANCH, TAG, COMMIT }

  public static GitRef defaultBranch() {
    return new GitRef(Kind.DEFAULT_BRANCH, "");
  }

  @Override
  public String toString() {
    return kind == Kind.DEFAULT_BRANCH ? "default branch" : kind.name().toLowerCase(java.util.Locale.ROOT) + " " + name;
  }
}
