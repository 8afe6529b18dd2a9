package dev.tether.agent;

import dev.tether.common.config.AgentConfig;

/**
 * An agent-side feature. The agent hands every module each new valid configuration; a module takes
 * what concerns it and keeps running with its last one when nothing changed for it.
 */
public interface AgentModule {
  String name();

  /** Called with each new valid configuration, on one thread, in order. Must not block for long. */
  void configure(AgentConfig config);
}
