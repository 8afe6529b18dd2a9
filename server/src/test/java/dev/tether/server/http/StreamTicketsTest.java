package dev.tether.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class StreamTicketsTest {
  private static final byte[] KEY = "a key derived from the admin token".getBytes();

  private static Clock movable(AtomicReference<Instant> now) {
    return new Clock() {
      @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
      @Override public Clock withZone(java.time.ZoneId zone) { return this; }
      @Override public Instant instant() { return now.get(); }
    };
  }

  @Test
  void aTicketOpensOneStreamWithinAMinute() {
    AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-01T10:00:00Z"));
    StreamTickets tickets = new StreamTickets(KEY, movable(now));
    ApiModels.StreamTicket first = tickets.issue();
    assertThat(first.expiresAt()).isEqualTo(now.get().plus(StreamTickets.VALID_FOR));
    assertThat(tickets.redeem(first.ticket())).isTrue();
    assertThat(tickets.redeem(first.ticket())).as("used up").isFalse();

    ApiModels.StreamTicket late = tickets.issue();
    now.set(now.get().plus(StreamTickets.VALID_FOR).plus(Duration.ofMillis(1)));
    assertThat(tickets.redeem(late.ticket())).as("expired").isFalse();
  }

  @Test
  void anotherReplicaWithTheSameTokenAcceptsItAndForgeriesFail() {
    Clock clock = Clock.systemUTC();
    String ticket = new StreamTickets(KEY, clock).issue().ticket();
    assertThat(new StreamTickets("another admin token".getBytes(), clock).redeem(ticket)).isFalse();
    String body = ticket.substring(0, ticket.indexOf('.'));
    String otherSignature = new StreamTickets(KEY, clock).issue().ticket().substring(ticket.indexOf('.'));
    assertThat(new StreamTickets(KEY, clock).redeem(body + otherSignature)).as("a signature of another ticket").isFalse();
    assertThat(new StreamTickets(KEY, clock).redeem("not-a-ticket")).isFalse();
    assertThat(new StreamTickets(KEY, clock).redeem(null)).isFalse();
    assertThat(new StreamTickets(KEY, clock).redeem(ticket)).as("the same key on another replica").isTrue();
  }
}
