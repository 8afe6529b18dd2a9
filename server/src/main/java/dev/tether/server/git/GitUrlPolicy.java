package dev.tether.server.git;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Which Git URLs projects may use, so that whoever can add a project cannot make the server read
 * its own disk or reach addresses only it can reach (its loopback services, the cloud metadata
 * endpoint). Checked when a project is added and again before every fetch, because what a name
 * resolves to can change after it was added.
 *
 * <p>A URL is allowed when a {@link GitUrlRule.Host} rule matches its scheme and host, or a
 * {@link GitUrlRule.Network} rule contains all the host's addresses. An address in a {@link #BLOCKED}
 * network is never reached through a name or a wildcard: only a rule that names the address itself
 * (a network containing it, or a host rule with that IP address) opens it.
 */
public final class GitUrlPolicy {
  public static final String RULE_OPTION = "--allow-git-url";
  public static final String LOCAL_PATHS_OPTION = "--allow-local-git-paths";
  public static final List<String> DEFAULT_RULES = List.of("https://*", "ssh://*", "http://*", "git://*");

  /** Addresses that reach the server itself or its cloud's metadata service, with what each is. */
  public static final List<Blocked> BLOCKED = List.of(
      new Blocked(IpNetwork.parse("127.0.0.0/8"), "a loopback address"),
      new Blocked(IpNetwork.parse("::1"), "a loopback address"),
      new Blocked(IpNetwork.parse("0.0.0.0/8"), "an address of this host"),
      new Blocked(IpNetwork.parse("::"), "an address of this host"),
      new Blocked(IpNetwork.parse("169.254.0.0/16"), "a link-local address (where clouds serve instance metadata)"),
      new Blocked(IpNetwork.parse("fe80::/10"), "a link-local address"),
      new Blocked(IpNetwork.parse("fd00:ec2::254"), "a cloud metadata address"),
      new Blocked(IpNetwork.parse("100.100.100.200"), "a cloud metadata address"));

  /** A network reached only when a rule names it. */
  public record Blocked(IpNetwork network, String what) {}

  /** Resolves a host name to its addresses; DNS in production. */
  @FunctionalInterface
  public interface Resolver {
    InetAddress[] resolve(String host) throws UnknownHostException;
  }

  private final List<GitUrlRule> rules;
  private final boolean localPaths;
  private final Resolver resolver;

  public GitUrlPolicy(List<GitUrlRule> rules, boolean localPaths, Resolver resolver) {
    this.rules = List.copyOf(rules);
    this.localPaths = localPaths;
    this.resolver = resolver;
  }

  /**
   * The policy from rules as an operator writes them.
   *
   * @throws IllegalArgumentException naming the first rule that is not valid
   */
  public static GitUrlPolicy of(List<String> rules, boolean localPaths) {
    return new GitUrlPolicy(rules.stream().map(GitUrlRule::parse).toList(), localPaths, InetAddress::getAllByName);
  }

  /** Any host over https, ssh, http and git:// except the {@link #BLOCKED} networks; no local paths. */
  public static GitUrlPolicy defaults() {
    return of(DEFAULT_RULES, false);
  }

  public List<GitUrlRule> rules() {
    return rules;
  }

  public boolean allowsLocalPaths() {
    return localPaths;
  }

  /**
   * Why a project may not have this URL, or empty. A host that does not resolve yet is accepted:
   * fetches check again.
   */
  public Optional<String> refusalToStore(String url) {
    return refusal(url, false);
  }

  /**
   * Why the server must not fetch from this URL now, or empty. A host that does not resolve is
   * refused in the same words as an unreachable one ({@link GitHostErrors#unreachable}).
   */
  public Optional<String> refusalToFetch(String url) {
    return refusal(url, true);
  }

  private Optional<String> refusal(String url, boolean resolutionRequired) {
    if (GitUrls.isLocalPath(url)) {
      return localPaths ? Optional.empty() : Optional.of("local paths and file:// URLs are off: they let a project read any "
          + "repository on the server's disk; start the server with " + LOCAL_PATHS_OPTION + " to allow them");
    }
    Optional<GitUrls.Target> parsed = GitUrls.target(url);
    if (parsed.isEmpty()) {
      return Optional.of("'" + GitUrls.redact(url) + "' names no host");
    }
    GitUrls.Target target = parsed.get();
    InetAddress[] addresses;
    try {
      addresses = resolver.resolve(target.host());
    } catch (UnknownHostException e) {
      if (resolutionRequired) {
        return Optional.of(GitHostErrors.unreachable(target));
      }
      addresses = new InetAddress[0];
    }
    boolean hostRule = rules.stream().anyMatch(r -> r instanceof GitUrlRule.Host h && h.matches(target));
    boolean networkRule = addresses.length > 0 && Arrays.stream(addresses).allMatch(this::inNetworkRule);
    if (!hostRule && !networkRule) {
      return Optional.of(GitUrls.redact(url) + " is not on the server's list of Git hosts (" + describeRules() + "); "
          + "start the server with " + RULE_OPTION + " " + target.scheme() + "://" + target.hostAndPort()
          + " (or a network) to allow it");
    }
    for (InetAddress address : addresses) {
      Optional<Blocked> blocked = BLOCKED.stream().filter(b -> b.network().contains(address)).findFirst();
      if (blocked.isPresent() && !namedByRule(address, target)) {
        boolean literal = IpNetwork.literal(target.host()).isPresent();
        String resolved = literal ? target.host() : "'" + target.host() + "' resolves to " + address.getHostAddress() + ", which";
        return Optional.of(resolved + " is " + blocked.get().what() + "; Tether reaches such addresses only when "
            + RULE_OPTION + " names them, like " + RULE_OPTION + " " + (literal ? target.host() : address.getHostAddress()));
      }
    }
    return Optional.empty();
  }

  private boolean inNetworkRule(InetAddress address) {
    return rules.stream().anyMatch(r -> r instanceof GitUrlRule.Network n && n.network().contains(address));
  }

  private boolean namedByRule(InetAddress address, GitUrls.Target target) {
    return inNetworkRule(address) || rules.stream().anyMatch(r -> r instanceof GitUrlRule.Host h
        && h.address().filter(address::equals).isPresent() && h.matches(target));
  }

  private String describeRules() {
    return rules.isEmpty() ? "it is empty" : String.join(", ", rules.stream().map(Object::toString).toList());
  }

  @Override
  public String toString() {
    return describeRules() + (localPaths ? ", local paths" : "");
  }
}
