package dev.tether.demo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.cli.admin.AdminClient;
import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Prints the server's events as they happen, oldest first, the way `tail -f` would. */
final class EventFollower {
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault());

  private final AdminClient api;
  private final PrintStream out;
  private long lastSeen;

  EventFollower(AdminClient api, PrintStream out) {
    this.api = api;
    this.out = out;
  }

  void followUntil(CountDownLatch stopped) throws InterruptedException {
    JsonNode newest = api.get("/api/v1/events?limit=1").get("events");
    lastSeen = newest.isEmpty() ? 0 : newest.get(0).get("id").asLong();
    while (!stopped.await(1, TimeUnit.SECONDS)) {
      try {
        printNew();
      } catch (RuntimeException e) {
        if (stopped.getCount() > 0) {
          out.println("  (cannot read events: " + e.getMessage() + ")");
        }
      }
    }
  }

  private void printNew() {
    List<JsonNode> fresh = new ArrayList<>();
    for (JsonNode e : api.get("/api/v1/events?limit=100").get("events")) {
      if (e.get("id").asLong() <= lastSeen) {
        break;
      }
      fresh.add(0, e);
    }
    for (JsonNode e : fresh) {
      lastSeen = e.get("id").asLong();
      out.printf("  %s %-10s %s%s%n", TIME.format(Instant.parse(e.get("at").asText())), e.get("kind").asText(),
          e.get("severity").asText().equals("warning") ? "(!) " : "", e.get("message").asText());
    }
  }
}
