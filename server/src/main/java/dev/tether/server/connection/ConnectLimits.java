package dev.tether.server.connection;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Optional;

/**
 * How often agents may open their session (the Connect call) with one token, and how many refused
 * tokens one source address may send before its connections are refused unread: so that neither a
 * looping agent nor a scanner can fill the events feed and the log or keep the token store busy.
 * Successful connections are not counted per address, since a fleet behind one NAT reconnects at
 * once after a server restart; the calls an agent makes within its session (configuration, GitOps,
 * a tunnel stream per proxied request) are not limited here.
 */
final class ConnectLimits {
  // Bounds the memory a flood from ever new addresses or tokens can take.
  private static final int MAX_TRACKED = 10_000;

  /** Why a call is refused, for the agent (status description), and when it may try again. */
  record Refusal(String message, Duration retryAfter) {
    long retryAfterSeconds() {
      return Math.max(1, (retryAfter.toMillis() + 999) / 1000);
    }
  }

  private final RateLimiter perToken;
  private final RateLimiter refusedTokens;

  ConnectLimits(AgentConnectRates rates, RateLimits limits) {
    this.perToken = limits.perMinute("agent connections per token", rates.perToken(), MAX_TRACKED);
    this.refusedTokens = limits.perMinute("refused agent tokens per address", rates.refusalsPerAddress(), MAX_TRACKED);
  }

  /** Before the token of a connection from the address is looked at: refused while the address has used up its refusals. */
  Optional<Refusal> admitAttempt(String address) {
    return refusedTokens.waitFor(address).map(wait -> new Refusal("too many refused agent tokens from " + address
        + ": this server refuses connections from an address that sent more than " + refusedTokens.perMinute()
        + " unknown, revoked or malformed tokens in a minute; try again in " + seconds(wait) + " s with a valid token", wait));
  }

  /** Counts a refused token on any call from the address: a scanner's guesses use up its connection attempts. */
  void chargeRefusal(String address) {
    refusedTokens.tryTake(address);
  }

  /** Counts a connection with a valid token. */
  Optional<Refusal> admitToken(AgentIdentity identity) {
    return perToken.tryTake(identity.tokenId()).map(wait -> new Refusal("too many connections with agent token "
        + identity.tokenId() + " of agent '" + identity.agentName() + "': this server accepts " + perToken.perMinute()
        + " a minute per token; try again in " + seconds(wait) + " s. An agent that reconnects this often is being "
        + "disconnected (see its log and the agent's events) or runs more than once with the same token", wait));
  }

  /** The address that limits count against: the host, with IPv6 addresses grouped by /64 (one site's network). */
  static String limitedAddress(SocketAddress remote) {
    if (!(remote instanceof InetSocketAddress inet) || inet.getAddress() == null) {
      return String.valueOf(remote);
    }
    InetAddress address = inet.getAddress();
    if (address instanceof Inet6Address) {
      byte[] bytes = address.getAddress();
      StringBuilder prefix = new StringBuilder();
      for (int i = 0; i < 8; i += 2) {
        prefix.append(Integer.toHexString(((bytes[i] & 0xff) << 8) | (bytes[i + 1] & 0xff))).append(':');
      }
      return prefix.append(":/64").toString();
    }
    return address.getHostAddress();
  }

  private static long seconds(Duration wait) {
    return Math.max(1, (wait.toMillis() + 999) / 1000);
  }
}
