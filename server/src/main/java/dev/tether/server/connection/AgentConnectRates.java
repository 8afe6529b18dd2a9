package dev.tether.server.connection;

/**
 * How many times a minute agents may connect, in bursts of as many; 0 means no limit.
 *
 * @param perToken Connect calls with one agent token
 * @param refusalsPerAddress unknown, revoked or malformed tokens from one source address (an IPv6 /64
 *     counts as one) before further connections from it are refused without looking at their token
 */
public record AgentConnectRates(int perToken, int refusalsPerAddress) {
  /**
   * An agent connects once and stays; ten times a minute is a loop. An agent with a refused token
   * retries every 30 s or slower, so thirty refusals a minute from one address leave room for a dozen
   * such agents behind one NAT, and stop a scanner after its first thirty guesses.
   */
  public static final AgentConnectRates DEFAULT = new AgentConnectRates(10, 30);

  public AgentConnectRates {
    if (perToken < 0 || refusalsPerAddress < 0) {
      throw new IllegalArgumentException("agent connection rates are a number a minute, 0 or more (0: no limit); got "
          + perToken + " per token and " + refusalsPerAddress + " refusals per address");
    }
  }
}
