package dev.tether.server.configuration;

import dev.tether.common.config.ConfigError;
import dev.tether.server.events.EventLog;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.Logger;

/**
 * What reading one commit of a config project found, told once: one log line and one event for the
 * valid files, one for the invalid ones. A commit that changes the files of 10,000 agents must not
 * write 10,000 events and log lines; a commit that changes one agent's configuration is told as it always
 * was, in that agent's feed; a commit that changes none is not told in the feed at all.
 */
final class ConfigurationReadSummary {
  /** How many agents an event or log line names before it only counts the rest. */
  static final int NAMED = 10;

  private final String projectId;
  private final String commit;
  private final List<String> changed = new ArrayList<>();
  private int unchanged;
  private String lastValid;
  private final List<Invalid> invalid = new ArrayList<>();

  private record Invalid(String agentName, List<ConfigError> errors) {
    String errorText(String separator) {
      return errors.stream().map(ConfigError::toString).collect(Collectors.joining(separator));
    }
  }

  ConfigurationReadSummary(String projectId, String commit) {
    this.projectId = projectId;
    this.commit = commit;
  }

  /** A valid file; {@code changed} when the agent's configuration is not what it was. */
  void valid(String agentName, boolean isChange) {
    lastValid = agentName;
    if (isChange) {
      changed.add(agentName);
    } else {
      unchanged++;
    }
  }

  void invalid(String agentName, List<ConfigError> errors) {
    invalid.add(new Invalid(agentName, errors));
  }

  void report(Logger log, EventLog events) {
    String at = ConfigurationReader.shortCommit(commit);
    int validCount = changed.size() + unchanged;
    if (changed.size() > 1) {
      String message = "Configuration at " + at + " is valid and in use for " + validCount + " agents; it changed the configuration of "
          + changed.size() + " (" + named(changed) + ")";
      log.info("Project '{}': {}", projectId, message);
      events.info("config", null, projectId, message);
    } else if (changed.size() == 1 || validCount == 1) {
      // One agent's configuration: told in its own feed, as when each config project served one agent.
      String agent = changed.size() == 1 ? changed.get(0) : lastValid;
      String file = AgentConfigFiles.path(agent);
      log.info("Agent '{}': configuration {} at {} of project '{}' is valid{}", agent, file, at, projectId,
          validCount > 1 ? " (and unchanged for " + (validCount - 1) + " more agents)" : "");
      events.info("config", agent, projectId, "Configuration " + file + " at " + at + " is valid and in use");
    } else if (validCount > 1) {
      log.info("Project '{}': configuration at {} is valid for {} agents and changes none of them", projectId, at, validCount);
    }
    if (invalid.size() == 1) {
      Invalid only = invalid.get(0);
      events.warning("config", only.agentName(), projectId, "Configuration at " + at
          + " is invalid; the agent keeps the last valid one: " + only.errorText("; "));
    } else if (invalid.size() > 1) {
      events.warning("config", null, projectId, "Configuration at " + at + " is invalid for " + invalid.size()
          + " agents, which keep their last valid one: " + named(invalid.stream().map(i -> i.agentName() + " (" + i.errors().get(0) + ")")
          .toList()) + "; each agent's status lists its errors");
    }
    for (Invalid i : invalid.subList(0, Math.min(NAMED, invalid.size()))) {
      log.warn("Agent '{}': configuration at {} is invalid, keeping the last valid one:\n  {}", i.agentName(), at, i.errorText("\n  "));
    }
    if (invalid.size() > NAMED) {
      log.warn("Project '{}': the configuration at {} of {} more agents is invalid; each agent's status lists its errors", projectId, at,
          invalid.size() - NAMED);
    }
  }

  private static String named(List<String> names) {
    String shown = String.join(", ", names.subList(0, Math.min(NAMED, names.size())));
    return names.size() > NAMED ? shown + " and " + (names.size() - NAMED) + " more" : shown;
  }
}
