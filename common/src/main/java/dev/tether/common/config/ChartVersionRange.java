package dev.tether.common.config;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.semver4j.RangesList;
import org.semver4j.RangesListFactory;
import org.semver4j.Semver;

/**
 * A chart version as a Helm user writes it: an exact version ({@code 6.5.2}) or a constraint in
 * Helm's syntax (Masterminds semver: {@code ^6.5.0}, {@code ~1.2}, {@code 1.2.x}, {@code >=1.2 <2},
 * {@code >=1.2, <2}, {@code 1.2 - 1.4}, {@code ^1 || ^2}, {@code !=1.3.0}).
 *
 * <p>semver4j evaluates npm-style ranges, which differ from Masterminds only in spelling: npm joins
 * comparisons with spaces where Helm also takes commas, spells {@code =<} as {@code <=} and
 * {@code ~>} as {@code ~}, and has no {@code !=}. Those are mapped here, term by term; the rest
 * (caret, tilde, x-ranges, hyphen ranges, {@code ||}) means the same in both. As in Helm, a
 * prerelease version matches only a range that names a prerelease of the same version.
 */
public final class ChartVersionRange {
  private static final Pattern OPERATOR_ALONE = Pattern.compile("(>=|<=|=<|=>|!=|~>|[<>=~^])\\s+");
  private static final Pattern HYPHEN = Pattern.compile("\\s+-\\s+");

  private final String text;
  /** Null for a range: an exact version is compared as Helm compares it, by precedence. */
  private final Semver exact;
  /** One list of terms per {@code ||} alternative; a version must satisfy every term of one. */
  private final List<List<Term>> alternatives;

  private record Term(RangesList range, Semver excluded) {
    boolean matches(Semver version) {
      return excluded != null ? !version.isEqualTo(excluded) : version.satisfies(range);
    }
  }

  private ChartVersionRange(String text, Semver exact, List<List<Term>> alternatives) {
    this.text = text;
    this.exact = exact;
    this.alternatives = alternatives;
  }

  /**
   * Parses a version or constraint.
   *
   * @throws IllegalArgumentException saying what is wrong, for the configuration's message
   */
  public static ChartVersionRange parse(String text) {
    String trimmed = text.strip();
    if (trimmed.isEmpty()) {
      throw new IllegalArgumentException("is empty; give a version like 6.5.2 or a range like ^6.5.0");
    }
    Semver exact = version(trimmed).orElse(null);
    if (exact != null) {
      return new ChartVersionRange(trimmed, exact, List.of());
    }
    List<List<Term>> alternatives = new ArrayList<>();
    for (String alternative : trimmed.split("\\|\\|", -1)) {
      String joined = OPERATOR_ALONE.matcher(alternative.strip()).replaceAll("$1");
      joined = HYPHEN.matcher(joined).replaceAll("\u0000");
      List<Term> terms = new ArrayList<>();
      for (String raw : joined.split("[,\\s]+")) {
        if (raw.isEmpty()) {
          continue;
        }
        terms.add(term(raw.replace("\u0000", " - "), text));
      }
      if (terms.isEmpty()) {
        throw new IllegalArgumentException("'" + text + "' has an empty alternative around '||'");
      }
      alternatives.add(List.copyOf(terms));
    }
    return new ChartVersionRange(trimmed, null, List.copyOf(alternatives));
  }

  private static Term term(String raw, String whole) {
    String term = raw.startsWith("=<") ? "<=" + raw.substring(2) : raw.startsWith("=>") ? ">=" + raw.substring(2)
        : raw.startsWith("~>") ? "~" + raw.substring(2) : raw;
    String bare = term.replaceFirst("^(>=|<=|!=|[<>=~^])", "").replaceFirst("^v", "");
    if (!bare.matches("[0-9xX*]+(\\.[0-9xX*]+){0,2}(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?( - v?[0-9xX*.]+(-[0-9A-Za-z.-]+)?)?")) {
      throw new IllegalArgumentException((whole.strip().equals(raw) ? "" : "'" + whole + "': ") + "'" + raw + "' is not a version or a comparison; write versions like "
          + "6.5.2 and ranges like ^6.5.0, ~1.2, 1.2.x, >=1.2 <2 or ^1 || ^2");
    }
    if (term.startsWith("!=")) {
      Semver excluded = Semver.coerce(bare);
      if (excluded == null) {
        throw new IllegalArgumentException("'" + whole + "': '" + raw + "' excludes no version");
      }
      return new Term(null, excluded);
    }
    // Prereleases are let through here and filtered by Helm's own rule in matches().
    return new Term(RangesListFactory.create(term.replace("=v", "=").replaceFirst("^([~^<>=]*)v", "$1"), true), null);
  }

  /** A full version ({@code 1.2.3}, {@code v1.2.3-rc.1}); versions in indexes and tags may start with v. */
  public static Optional<Semver> version(String text) {
    String t = text.strip();
    return Optional.ofNullable(Semver.parse(t.startsWith("v") ? t.substring(1) : t));
  }

  /** Whether this is one exact version rather than a range. */
  public boolean isExact() {
    return exact != null;
  }

  public boolean matches(Semver version) {
    if (exact != null) {
      return version.isEqualTo(exact);
    }
    return alternatives.stream().anyMatch(terms -> terms.stream().allMatch(t -> t.matches(version))
        && (version.getPreRelease().isEmpty() || namesPrerelease(version)));
  }

  /** Helm's rule: a prerelease matches only when the range itself names a prerelease of that version. */
  private boolean namesPrerelease(Semver version) {
    String core = version.getMajor() + "." + version.getMinor() + "." + version.getPatch() + "-";
    return text.replace("v", "").contains(core);
  }

  /** The newest of {@code versions} (as published, {@code v} prefix and all) that matches, if any. */
  public Optional<String> newest(Collection<String> versions) {
    return versions.stream()
        .flatMap(v -> version(v).filter(this::matches).map(parsed -> new Candidate(v, parsed)).stream())
        .max(Comparator.comparing(Candidate::parsed))
        .map(Candidate::published);
  }

  private record Candidate(String published, Semver parsed) {}

  @Override
  public String toString() {
    return text;
  }
}
