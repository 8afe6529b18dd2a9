package dev.tether.server.git;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.regex.Pattern;

/** A block of IP addresses, {@code 10.0.0.0/8} or {@code fe80::/10}; a single address is a block of one. */
public record IpNetwork(InetAddress base, int prefixLength) {
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

  public IpNetwork {
    int bits = base.getAddress().length * 8;
    if (prefixLength < 0 || prefixLength > bits) {
      throw new IllegalArgumentException("prefix /" + prefixLength + " does not fit a " + bits + "-bit address");
    }
  }

  /**
   * A network in CIDR notation or a single address; never asks DNS.
   *
   * @throws IllegalArgumentException if the text is neither
   */
  public static IpNetwork parse(String text) {
    String trimmed = text.strip();
    int slash = trimmed.indexOf('/');
    String address = slash < 0 ? trimmed : trimmed.substring(0, slash);
    InetAddress base = literal(address).orElseThrow(() -> new IllegalArgumentException("'" + text + "' is not an IP address or network"));
    int bits = base.getAddress().length * 8;
    if (slash < 0) {
      return new IpNetwork(base, bits);
    }
    try {
      return new IpNetwork(base, Integer.parseInt(trimmed.substring(slash + 1)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' has no valid prefix length after '/'");
    }
  }

  /** The address a literal names, without a DNS lookup; empty for host names. */
  public static Optional<InetAddress> literal(String text) {
    String unbracketed = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
    if (!IPV4.matcher(unbracketed).matches() && !IPV6.matcher(unbracketed).matches()) {
      return Optional.empty();
    }
    try {
      // A literal is parsed, not looked up.
      return Optional.of(InetAddress.getByName(unbracketed));
    } catch (UnknownHostException e) {
      return Optional.empty();
    }
  }

  public boolean contains(InetAddress address) {
    byte[] network = base.getAddress();
    byte[] candidate = address.getAddress();
    if (network.length != candidate.length) {
      return false;
    }
    int full = prefixLength / 8;
    for (int i = 0; i < full; i++) {
      if (network[i] != candidate[i]) {
        return false;
      }
    }
    int rest = prefixLength % 8;
    if (rest == 0) {
      return true;
    }
    int mask = 0xff << (8 - rest) & 0xff;
    return (network[full] & mask) == (candidate[full] & mask);
  }

  @Override
  public String toString() {
    String host = base.getHostAddress();
    return prefixLength == base.getAddress().length * 8 ? host : host + "/" + prefixLength;
  }
}
