package dev.tether.server.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.server.ManualClock;
import dev.tether.server.store.EventStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EventLogTest {
  private final ManualClock clock = new ManualClock(Instant.parse("2030-01-01T00:00:00Z"));
  private final RecordingStore store = new RecordingStore();
  private final EventLog events = new EventLog(store, clock);

  @Test
  void anAgentConnectingTwoHundredTimesAMinuteWritesAHandfulOfEvents() {
    for (int i = 0; i < 200; i++) {
      events.infoRepeatable("connection", "edge-1", "Connected", "Connected from 10.0.0.1:" + (40000 + i));
      events.infoRepeatable("connection", "edge-1", "Disconnected", "Disconnected: the agent closed the connection");
      clock.advance(Duration.ofMillis(250));
    }
    events.infoRepeatable("connection", "edge-2", "Connected", "Connected from 10.0.0.2:40000");
    clock.advance(Duration.ofSeconds(10));
    events.writeSummaries();

    assertThat(store.messages).hasSize(2 * EventLog.VERBATIM_PER_MINUTE + 2 + 1);
    assertThat(store.messages).contains(
        "Connected 197 more times in the last minute; the last: Connected from 10.0.0.1:40199",
        "Disconnected 197 more times in the last minute; the last: Disconnected: the agent closed the connection",
        "Connected from 10.0.0.2:40000");
  }

  @Test
  void summariesOfARunningLoopAreWrittenWhenTheServerStops() {
    for (int i = 0; i < 5; i++) {
      events.warningRepeatable("connection", "edge-1", "Refused a connection", "Refused a connection: too many");
    }
    clock.advance(Duration.ofSeconds(20));

    events.flushSummaries();

    assertThat(store.messages).endsWith("Refused a connection 2 more times in the last 20 s; the last: Refused a connection: too many");
    assertThat(store.severities).containsOnly("warning");
  }

  @Test
  void ordinaryEventsAreNeverFolded() {
    for (int i = 0; i < 20; i++) {
      events.info("sync", "edge-1", "apps", "Synced");
    }
    assertThat(store.messages).hasSize(20);
  }

  @Test
  void aReconnectStormDeferredForABatchKeepsTwentyLinesAndSumsUpTheRest() {
    events.deferRepeatable();
    for (int i = 0; i < 1000; i++) {
      events.infoRepeatable("connection", "edge-" + i, "Connected", "Connected from 10.0.0.1:" + (40000 + i));
    }
    events.infoRepeatable("connection", "edge-7", "Disconnected", "Disconnected: the agent closed the connection");
    assertThat(store.messages).as("nothing is written until the batch is taken").isEmpty();

    List<EventStore.NewEvent> batch = events.takeDeferred();

    assertThat(batch).hasSize(EventLog.STORM_VERBATIM + 1 + 1);
    assertThat(batch.subList(0, EventLog.STORM_VERBATIM)).extracting(EventStore.NewEvent::agentName)
        .containsExactly(java.util.stream.IntStream.range(0, EventLog.STORM_VERBATIM).mapToObj(i -> "edge-" + i).toArray(String[]::new));
    EventStore.NewEvent summary = batch.get(EventLog.STORM_VERBATIM);
    assertThat(summary.agentName()).isNull();
    assertThat(summary.message()).startsWith("Connected: 980 more agents since").contains("agent 'edge-999': Connected from 10.0.0.1:40999");
    assertThat(batch.get(batch.size() - 1).message()).isEqualTo("Disconnected: the agent closed the connection");
    assertThat(events.takeDeferred()).isEmpty();
  }

  private static final class RecordingStore implements EventStore {
    final List<String> messages = new ArrayList<>();
    final List<String> severities = new ArrayList<>();

    @Override
    public void add(Instant at, String kind, String severity, String agentName, String projectId, String message, String details) {
      messages.add(message);
      severities.add(severity);
    }

    @Override
    public List<Event> newest(Optional<String> agentName, Optional<String> kind, Optional<Long> beforeId, int limit) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void trim(int keep) {}
  }
}
