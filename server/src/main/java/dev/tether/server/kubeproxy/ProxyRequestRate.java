package dev.tether.server.kubeproxy;

/**
 * How many proxied Kubernetes API requests one access token may send: {@code perSecond} on average, in
 * bursts of up to {@code burst}; a rate of 0 means no limit. The excess is answered 429 with Retry-After.
 *
 * @param perSecond requests a second, refilled evenly
 * @param burst requests at once after a quiet spell
 */
public record ProxyRequestRate(int perSecond, int burst) {
  /**
   * As the GitLab agent server limits its own calls to GitLab (50 a second, bursts of 250): far above what
   * one kubectl or CI job sends (kubectl's own client-side limit is 50 a second after discovery), so only a
   * runaway loop or a script gone wrong meets it.
   */
  public static final ProxyRequestRate DEFAULT = new ProxyRequestRate(50, 250);

  public ProxyRequestRate {
    if (perSecond < 0 || burst < 0 || (perSecond > 0 && burst < 1)) {
      throw new IllegalArgumentException("proxied requests per access token are a rate a second, 0 or more (0: no limit), "
          + "and a burst of 1 or more; got " + perSecond + " a second and a burst of " + burst);
    }
  }
}
