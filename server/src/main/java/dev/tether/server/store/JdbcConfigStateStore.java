package dev.tether.server.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.common.config.ConfigError;
import dev.tether.common.json.JsonMappers;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.function.Function;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

final class JdbcConfigStateStore implements ConfigStateStore {
  private static final ObjectMapper JSON = JsonMappers.newMapper();
  private static final String UPDATE_VALID = "update agent_config_states set observed_commit = ?, observed_at = ?, valid = true, "
      + "errors = '[]', valid_commit = ?, valid_content = ?, valid_at = ? where agent_name = ?";
  private static final String INSERT_VALID = "insert into agent_config_states (agent_name, observed_commit, observed_at, valid, "
      + "errors, valid_commit, valid_content, valid_at) values (?, ?, ?, true, '[]', ?, ?, ?)";
  private static final String UPDATE_INVALID = "update agent_config_states set observed_commit = ?, observed_at = ?, valid = false, "
      + "errors = ? where agent_name = ?";
  private static final String INSERT_INVALID = "insert into agent_config_states (agent_name, observed_commit, observed_at, valid, "
      + "errors) values (?, ?, ?, false, ?)";

  private final Jdbc jdbc;

  JdbcConfigStateStore(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public void recordValid(String agentName, String commit, byte[] content, Instant at) {
    int updated = jdbc.update(UPDATE_VALID, commit, at, commit, content, at, agentName);
    if (updated == 0) {
      insertOr(() -> jdbc.update(INSERT_VALID, agentName, commit, at, commit, content, at),
          () -> recordValid(agentName, commit, content, at));
    }
  }

  @Override
  public void recordInvalid(String agentName, Optional<String> commit, List<ConfigError> errors, Instant at) {
    String json = toJson(errors);
    int updated = jdbc.update(UPDATE_INVALID, commit.orElse(null), at, json, agentName);
    if (updated == 0) {
      insertOr(() -> jdbc.update(INSERT_INVALID, agentName, commit.orElse(null), at, json), () -> recordInvalid(agentName, commit, errors, at));
    }
  }

  @Override
  public void recordAll(List<ConfigRead> reads, Instant at) {
    if (reads.isEmpty()) {
      return;
    }
    // Updated first, inserted only where no row was there. Another writer that inserts the same agent
    // meanwhile makes the insert fail and the whole batch roll back: done again, it updates that row.
    insertOr(() -> jdbc.transaction("update", c -> {
      List<ConfigRead> missing = new ArrayList<>();
      missing.addAll(upsertStep(c, UPDATE_VALID, reads, ConfigRead.Valid.class,
          r -> new Object[] {r.commit(), at, r.commit(), r.content(), at, r.agentName()}));
      missing.addAll(upsertStep(c, UPDATE_INVALID, reads, ConfigRead.Invalid.class,
          r -> new Object[] {r.commit(), at, toJson(r.errors()), r.agentName()}));
      Jdbc.batch(c, INSERT_VALID, rowsOf(missing, ConfigRead.Valid.class,
          r -> new Object[] {r.agentName(), r.commit(), at, r.commit(), r.content(), at}));
      Jdbc.batch(c, INSERT_INVALID, rowsOf(missing, ConfigRead.Invalid.class,
          r -> new Object[] {r.agentName(), r.commit(), at, toJson(r.errors())}));
      return null;
    }), () -> recordAll(reads, at));
  }

  /** Runs the update for the reads of one kind; those whose row is not there yet. */
  private static <R extends ConfigRead> List<R> upsertStep(Connection c, String update, List<ConfigRead> reads, Class<R> kind,
      Function<R, Object[]> args) throws SQLException {
    List<R> ofKind = reads.stream().filter(kind::isInstance).map(kind::cast).toList();
    int[] counts = Jdbc.batch(c, update, ofKind.stream().map(args).toList());
    List<R> missing = new ArrayList<>();
    for (int i = 0; i < counts.length; i++) {
      // A driver may not say how many rows a batched statement changed; then the row is looked for.
      if (counts[i] == 0 || counts[i] == Statement.SUCCESS_NO_INFO && !exists(c, ofKind.get(i).agentName())) {
        missing.add(ofKind.get(i));
      }
    }
    return missing;
  }

  private static <R extends ConfigRead> List<Object[]> rowsOf(List<ConfigRead> reads, Class<R> kind, Function<R, Object[]> args) {
    return reads.stream().filter(kind::isInstance).map(kind::cast).map(args).toList();
  }

  private static boolean exists(Connection c, String agentName) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("select 1 from agent_config_states where agent_name = ?")) {
      s.setString(1, agentName);
      try (ResultSet row = s.executeQuery()) {
        return row.next();
      }
    }
  }

  @Override
  public List<ConfigState> loadAll() {
    return jdbc.query("select * from agent_config_states order by agent_name", JdbcConfigStateStore::state);
  }

  @Override
  public Optional<ConfigState> find(String agentName) {
    return jdbc.queryOne("select * from agent_config_states where agent_name = ?", JdbcConfigStateStore::state, agentName);
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
