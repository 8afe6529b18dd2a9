package dev.tether.server.configuration;

/** Where an agent's configuration lives in its config project: the GitLab agent's layout. */
public final class AgentConfigFiles {
  /** Configuration files are small; anything bigger is a mistake or an attack. */
  public static final long MAX_BYTES = 1024 * 1024;

  private AgentConfigFiles() {}

  public static String path(String agentName) {
    return ".gitlab/agents/" + agentName + "/config.yaml";
  }
}
