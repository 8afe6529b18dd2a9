package dev.tether.server.store;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which identities an access token may carry. Whoever holds the server's admin token creates access
 * tokens, and a person's token is impersonated as {@code tether:user:<name>} with the token's groups
 * wherever an agent's {@code user_access} says {@code access_as: user}. So a token must never name an
 * identity that the cluster treats specially, or the cluster's own RBAC would no longer decide:
 * <ul>
 *   <li>no group starting with {@code system:} ({@code system:masters} is cluster-admin without any
 *       binding; {@code system:nodes}, {@code system:serviceaccounts}, {@code system:kube-*} and the
 *       rest belong to the cluster's own components);</li>
 *   <li>no group starting with {@code tether:}: those are the groups Tether itself gives CI jobs,
 *       people and agents ({@code tether:ci}, {@code tether:project:<id>}, {@code tether:agent:<name>}),
 *       which a person's token must not pass for;</li>
 *   <li>no empty group, none with surrounding spaces, control characters or commas;</li>
 *   <li>a user name of letters, digits and {@code . _ @ -} (so never {@code system:admin}).</li>
 * </ul>
 * The same rule is applied when a token is created and when it is used, so a token stored before
 * the rule existed cannot be used either.
 */
public final class AccessTokenIdentity {
  public static final Pattern USER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,127}");
  public static final int MAX_GROUP_LENGTH = 256;
  private static final String[] RESERVED_GROUP_PREFIXES = {"system:", "tether:"};

  private AccessTokenIdentity() {}

  /** Why {@code userName} cannot be a person's name on an access token, if it cannot. */
  public static Optional<String> userNameProblem(String userName) {
    if (userName == null || userName.isEmpty()) {
      return Optional.of("the user name is empty; give the person's name, like alice");
    }
    if (userName.toLowerCase(Locale.ROOT).startsWith("system:")) {
      return Optional.of("user name '" + userName + "' is not allowed: names starting with system: belong to the cluster's own "
          + "components; give the person's name, like alice");
    }
    if (!USER_NAME.matcher(userName).matches()) {
      return Optional.of("user name '" + userName + "' is not valid: use at most 128 letters, digits and . _ @ -, "
          + "starting with a letter or digit");
    }
    return Optional.empty();
  }

  /** Why {@code group} cannot be a group on an access token, if it cannot. */
  public static Optional<String> groupProblem(String group) {
    if (group == null || group.isBlank()) {
      return Optional.of("a group is empty; give each group's name, like developers");
    }
    String lower = group.toLowerCase(Locale.ROOT);
    for (String prefix : RESERVED_GROUP_PREFIXES) {
      if (lower.startsWith(prefix)) {
        return Optional.of("group '" + group + "' is not allowed: groups starting with " + prefix + " " + whose(prefix)
            + ", and an access token may not carry them; use a group of your own, like developers, and bind it with RBAC");
      }
    }
    if (!group.equals(group.strip()) || group.contains(",") || group.chars().anyMatch(Character::isISOControl)) {
      return Optional.of("group '" + group.replaceAll("\\p{Cntrl}", "?") + "' is not valid: no spaces around it, no commas "
          + "and no control characters");
    }
    if (group.length() > MAX_GROUP_LENGTH) {
      return Optional.of("group '" + group.substring(0, 40) + "…' is longer than " + MAX_GROUP_LENGTH + " characters");
    }
    return Optional.empty();
  }

  /** Why a stored token may not be used, if it names an identity that the rule above refuses. */
  public static Optional<String> problem(AccessToken token) {
    if (token.userName().isPresent()) {
      Optional<String> problem = userNameProblem(token.userName().get());
      if (problem.isPresent()) {
        return problem;
      }
    }
    for (String group : token.groups()) {
      Optional<String> problem = groupProblem(group);
      if (problem.isPresent()) {
        return problem;
      }
    }
    return Optional.empty();
  }

  private static String whose(String prefix) {
    return prefix.equals("system:")
        ? "belong to the cluster itself (system:masters is cluster-admin without any RBAC binding)"
        : "are the ones Tether gives CI jobs, people and agents";
  }
}
