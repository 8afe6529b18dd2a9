package dev.tether.server.git;

import java.net.InetAddress;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** One entry of the server's list of Git hosts that projects may use. */
public sealed interface GitUrlRule {
  List<String> SCHEMES = List.of("https", "http", "ssh", "git");

  /**
   * A rule as an operator writes it: {@code SCHEME://HOST[:PORT]} or an IP network.
   *
   * @throws IllegalArgumentException saying what is wrong and what would be right
   */
  static GitUrlRule parse(String text) {
    String rule = text.strip();
    int separator = rule.indexOf("://");
    if (separator < 0) {
      try {
        return new Network(IpNetwork.parse(rule));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("'" + text + "' is neither SCHEME://HOST[:PORT] (like https://git.example.com or "
            + "ssh://*) nor an IP network (like 10.0.0.0/8 or 192.168.1.20)");
      }
    }
    String scheme = rule.substring(0, separator).toLowerCase(Locale.ROOT);
    if (!SCHEMES.contains(scheme)) {
      throw new IllegalArgumentException("'" + text + "': the scheme must be one of " + String.join(", ", SCHEMES)
          + " (local paths are allowed with their own option)");
    }
    String authority = rule.substring(separator + 3);
    if (authority.endsWith("/")) {
      authority = authority.substring(0, authority.length() - 1);
    }
    if (authority.isEmpty() || authority.contains("/") || authority.contains("@")) {
      throw new IllegalArgumentException("'" + text + "': a rule names a scheme and a host (and maybe a port), no user or path, "
          + "like https://git.example.com or https://*.example.com:8443");
    }
    int port = -1;
    String host = authority;
    int colon = authority.lastIndexOf(':');
    if (colon > authority.lastIndexOf(']')) {
      try {
        port = Integer.parseInt(authority.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + text + "': '" + authority.substring(colon + 1) + "' is not a port number");
      }
      host = authority.substring(0, colon);
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    host = host.toLowerCase(Locale.ROOT);
    if (host.isEmpty() || host.indexOf('*', host.startsWith("*.") ? 1 : 0) >= 0 && !host.equals("*")) {
      throw new IllegalArgumentException("'" + text + "': the host is a name, an IP address, '*' (any host) or '*.example.com' "
          + "(any host under example.com)");
    }
    return new Host(scheme, host, port);
  }

  /**
   * URLs of one scheme to hosts whose name matches: {@code *} any host, {@code *.example.com} any
   * host under example.com, otherwise exactly that name or address; {@code port} -1 means any port.
   */
  record Host(String scheme, String host, int port) implements GitUrlRule {
    public boolean matches(GitUrls.Target target) {
      if (!scheme.equals(target.scheme()) || port >= 0 && port != target.effectivePort()) {
        return false;
      }
      if (host.equals("*")) {
        return true;
      }
      if (host.startsWith("*.")) {
        return target.host().endsWith(host.substring(1));
      }
      Optional<InetAddress> ruleAddress = IpNetwork.literal(host);
      Optional<InetAddress> targetAddress = IpNetwork.literal(target.host());
      if (ruleAddress.isPresent() || targetAddress.isPresent()) {
        return ruleAddress.equals(targetAddress);
      }
      return host.equals(target.host());
    }

    /** The address this rule names, when its host is an IP address rather than a name or pattern. */
    public Optional<InetAddress> address() {
      return IpNetwork.literal(host);
    }

    @Override
    public String toString() {
      String shown = host.contains(":") ? "[" + host + "]" : host;
      return scheme + "://" + shown + (port >= 0 ? ":" + port : "");
    }
  }

  /** Any Git URL (of the schemes above) whose host's addresses are all in a network. */
  record Network(IpNetwork network) implements GitUrlRule {
    @Override
    public String toString() {
      return network.toString();
    }
  }
}
