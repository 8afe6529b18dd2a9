package dev.tether.agent.configuration;

import dev.tether.common.config.AgentConfig;
import java.time.Instant;

/** The configuration the agent runs with: where it came from and when it arrived. */
public record ReceivedConfiguration(String commit, String projectId, String file, AgentConfig config, Instant receivedAt) {}
