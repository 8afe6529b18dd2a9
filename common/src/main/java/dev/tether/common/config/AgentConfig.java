package dev.tether.common.config;

import java.util.List;

/**
 * An agent's configuration: the typed form of {@code .gitlab/agents/<name>/config.yaml}. Keys that
 * the GitLab agent also has mean the same here. Every part has its defaults filled in by
 * {@link ConfigParser}.
 */
public record AgentConfig(Gitops gitops, CiAccess ciAccess, UserAccess userAccess, Observability observability) {

  /** What an empty file means: nothing to sync, nobody let in, logging at info. */
  public static AgentConfig empty() {
    return new AgentConfig(new Gitops(List.of()), new CiAccess(List.of(), List.of()),
        new UserAccess(new AccessAs.Agent(), List.of(), List.of()), Observability.defaults());
  }
}
