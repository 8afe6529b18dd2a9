package dev.tether.server.kubeproxy;

import com.nimbusds.jwt.JWTClaimsSet;
import dev.tether.common.config.ConfigParser;
import java.text.ParseException;
import java.util.Optional;

/**
 * Who a CI job is, read from the claims of its verified OIDC id token, in the terms of an agent's
 * {@code ci_access}: the project (GitLab's {@code project_path}, GitHub Actions' {@code repository},
 * both {@code group/app} like a ci_access {@code id}), the environment it deploys to, and its ref.
 *
 * @param ref the branch or tag, as the token says it ({@code main} on GitLab, {@code refs/heads/main} on GitHub)
 */
record CiJobClaims(String issuer, String subject, String project, Optional<String> environment, Optional<String> ref,
    Optional<String> refType) {
  static final int MAX_CLAIM_LENGTH = 255;

  /** Reads the claims a CI job's token must carry; the message of the exception says which is missing or not usable. */
  static CiJobClaims from(JWTClaimsSet claims) throws InvalidClaims {
    String issuer = claims.getIssuer();
    String subject = text(claims, "sub").orElseThrow(() -> new InvalidClaims("it has no sub claim"));
    Optional<String> gitlab = text(claims, "project_path");
    Optional<String> named = gitlab.isPresent() ? gitlab : text(claims, "repository");
    String project = named.orElseThrow(() -> new InvalidClaims(
        "it names no project: it has neither GitLab's project_path nor GitHub's repository claim"));
    if (!ConfigParser.PROJECT_ID.matcher(project).matches()) {
      throw new InvalidClaims("its project '" + printable(project) + "' is not a project path like group/app");
    }
    Optional<String> environment = text(claims, "environment").filter(e -> !e.isBlank());
    if (environment.isPresent() && environment.get().chars().anyMatch(c -> Character.isISOControl(c) || c == ',')) {
      throw new InvalidClaims("its environment claim has control characters or commas");
    }
    return new CiJobClaims(issuer, subject, project, environment, text(claims, "ref"), text(claims, "ref_type"));
  }

  private static Optional<String> text(JWTClaimsSet claims, String name) throws InvalidClaims {
    String value;
    try {
      value = claims.getStringClaim(name);
    } catch (ParseException e) {
      throw new InvalidClaims("its " + name + " claim is not a string");
    }
    if (value != null && value.length() > MAX_CLAIM_LENGTH) {
      throw new InvalidClaims("its " + name + " claim is longer than " + MAX_CLAIM_LENGTH + " characters");
    }
    return Optional.ofNullable(value);
  }

  /** Claim text safe to put in a message: no control characters, bounded length. */
  static String printable(String text) {
    String clean = text.replaceAll("\\p{Cntrl}", "?");
    return clean.length() > 80 ? clean.substring(0, 80) + "…" : clean;
  }

  static final class InvalidClaims extends Exception {
    InvalidClaims(String message) {
      super(message);
    }
  }
}
