package dev.tether.server.http;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Tickets for the event stream. A browser's {@code EventSource} cannot send the admin token's header,
 * and the token itself must never go into a URL (URLs land in logs and proxies). So the page asks for
 * a ticket with the header and opens the stream with it: a ticket opens one stream, within
 * {@link #VALID_FOR} of being issued, and nothing else. Tickets are signed with a key derived from
 * the admin token, so any replica with the same token accepts them (a load balancer may send the
 * stream to another replica than the ticket's request); each replica refuses a ticket used on it
 * before.
 */
final class StreamTickets {
  static final Duration VALID_FOR = Duration.ofMinutes(1);
  private static final Base64.Encoder ENCODE = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DECODE = Base64.getUrlDecoder();

  private final byte[] key;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  // Nonces used here, until their ticket expires.
  private final Map<String, Instant> used = new ConcurrentHashMap<>();

  StreamTickets(byte[] key, Clock clock) {
    this.key = key.clone();
    this.clock = clock;
  }

  ApiModels.StreamTicket issue() {
    Instant expires = clock.instant().plus(VALID_FOR);
    byte[] nonce = new byte[16];
    random.nextBytes(nonce);
    byte[] body = ByteBuffer.allocate(8 + nonce.length).putLong(expires.toEpochMilli()).put(nonce).array();
    return new ApiModels.StreamTicket(ENCODE.encodeToString(body) + "." + ENCODE.encodeToString(sign(body)), expires);
  }

  /** Whether the ticket is genuine, unexpired and not used before here; it is used up by this call. */
  boolean redeem(String ticket) {
    if (ticket == null) {
      return false;
    }
    int dot = ticket.indexOf('.');
    byte[] body;
    byte[] signature;
    try {
      body = DECODE.decode(ticket.substring(0, Math.max(0, dot)));
      signature = DECODE.decode(ticket.substring(dot + 1));
    } catch (IllegalArgumentException malformed) {
      return false;
    }
    if (dot <= 0 || body.length != 24 || !MessageDigest.isEqual(sign(body), signature)) {
      return false;
    }
    Instant now = clock.instant();
    Instant expires = Instant.ofEpochMilli(ByteBuffer.wrap(body).getLong());
    if (!now.isBefore(expires)) {
      return false;
    }
    used.values().removeIf(at -> !now.isBefore(at));
    return used.putIfAbsent(ENCODE.encodeToString(body), expires) == null;
  }

  private byte[] sign(byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(body);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this Java runtime", e);
    }
  }
}
