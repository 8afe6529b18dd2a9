package dev.tether.server.configuration;

import dev.tether.common.config.AgentConfig;
import java.util.Arrays;

/** A valid configuration file of an agent, as read from its config project at a commit, and what it says. */
public record ConfigurationUpdate(String agentName, String commit, String projectId, String file, byte[] content,
    AgentConfig config) {

  boolean sameAs(ConfigurationUpdate other) {
    return other != null && commit.equals(other.commit) && sameFileAs(other);
  }

  /** The same file with the same content, whatever the commit: the agent's configuration did not change. */
  boolean sameFileAs(ConfigurationUpdate other) {
    return other != null && Arrays.equals(content, other.content) && projectId.equals(other.projectId) && file.equals(other.file);
  }
}
