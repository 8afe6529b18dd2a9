package dev.tether.server.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.common.config.ConfigError;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

final class JdbcConfigStateStore implements ConfigStateStore {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Jdbc jdbc;

  JdbcConfigStateStore(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public void recordValid(String agentName, String commit, byte[] content, Instant at) {
    int updated = jdbc.update("update agent_config_states set observed_commit = ?, observed_at = ?, valid = true, errors = '[]', "
        + "valid_commit = ?, valid_content = ?, valid_at = ? where agent_name = ?", commit, at, commit, content, at, agentName);
    if (updated == 0) {
      insertOr(() -> jdbc.update("insert into agent_config_states (agent_name, observed_commit, observed_at, valid, errors, valid_commit, valid_content, valid_at) "
          + "values (?, ?, ?, true, '[]', ?, ?, ?)", agentName, commit, at, commit, content, at),
          () -> recordValid(agentName, commit, content, at));
    }
  }

  @Override
  public void recordInvalid(String agentName, Optional<String> commit, List<ConfigError> errors, Instant at) {
    String json = toJson(errors);
    int updated = jdbc.update("update agent_config_states set observed_commit = ?, observed_at = ?, valid = false, errors = ? where agent_name = ?",
        commit.orElse(null), at, json, agentName);
    if (updated == 0) {
      insertOr(() -> jdbc.update("insert into agent_config_states (agent_name, observed_commit, observed_at, valid, errors) values (?, ?, ?, false, ?)",
          agentName, commit.orElse(null), at, json), () -> recordInvalid(agentName, commit, errors, at));
    }
  }

  @Override
  public Optional<ConfigState> find(String agentName) {
    return jdbc.queryOne("select * from agent_config_states where agent_name = ?", JdbcConfigStateStore::state, agentName);
  }

  @Override
  public List<ConfigState> loadAll() {
    return jdbc.query("select * from agent_config_states", JdbcConfigStateStore::state);
  }

  private static void insertOr(Runnable insert, Runnable retry) {
    try {
      insert.run();
    } catch (Jdbc.DuplicateKeyException raced) {
      retry.run();
    }
  }

  private static ConfigState state(ResultSet row) throws SQLException {
    String validCommit = row.getString("valid_commit");
    Optional<ConfigState.ValidConfig> valid = validCommit == null ? Optional.empty()
        : Optional.of(new ConfigState.ValidConfig(validCommit, row.getBytes("valid_content"), Jdbc.instant(row, "valid_at")));
    return new ConfigState(row.getString("agent_name"), Optional.ofNullable(row.getString("observed_commit")),
        Jdbc.instant(row, "observed_at"), row.getBoolean("valid"), fromJson(row.getString("errors")), valid);
  }

  private static String toJson(List<ConfigError> errors) {
    try {
      return JSON.writeValueAsString(errors);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<ConfigError> fromJson(String json) {
    try {
      return JSON.readValue(json, new TypeReference<>() {});
    } catch (JsonProcessingException e) {
      throw new StoreException("stored configuration errors are unreadable", e);
    }
  }
}
