package dev.tether.testkit.oidc;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An OIDC issuer on loopback, as GitLab or GitHub Actions is to a CI job: it serves its discovery
 * document and JWKS over plain HTTP and signs id tokens with an RSA key it made. {@link #rotate} replaces
 * the key by a new one with a new key id, as issuers do. Counts JWKS fetches, so tests can see caching.
 */
public final class TestIssuer implements AutoCloseable {
  private final HttpServer http;
  private final String url;
  private final AtomicInteger jwksFetches = new AtomicInteger();
  private volatile RSAKey key;

  private TestIssuer(HttpServer http) {
    this.http = http;
    this.url = "http://127.0.0.1:" + http.getAddress().getPort();
    this.key = newKey();
    http.createContext("/.well-known/openid-configuration", exchange -> send(exchange, "{\"issuer\":\"" + url
        + "\",\"jwks_uri\":\"" + url + "/jwks\",\"id_token_signing_alg_values_supported\":[\"RS256\"]}"));
    http.createContext("/jwks", exchange -> {
      jwksFetches.incrementAndGet();
      send(exchange, new JWKSet(key.toPublicJWK()).toString());
    });
    http.start();
  }

  /** Starts an issuer on a free loopback port. */
  public static TestIssuer start() {
    try {
      return new TestIssuer(HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The issuer URL, which is also the {@code iss} of its tokens. */
  public String url() {
    return url;
  }

  public int jwksFetches() {
    return jwksFetches.get();
  }

  /** The public keys it serves now, as a JWKS document (for a {@code jwks_file}). */
  public String jwks() {
    return new JWKSet(key.toPublicJWK()).toString();
  }

  /** Replaces its signing key by a new one with a new key id; the JWKS then serves only the new key. */
  public void rotate() {
    key = newKey();
  }

  /** A fresh key that this issuer does not publish, for signing forgeries. */
  public static RSAKey newKey() {
    try {
      return new RSAKeyGenerator(2048).keyID(UUID.randomUUID().toString()).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Claims as a CI job's token carries them, valid for five minutes from now, with {@code claims} added. */
  public JWTClaimsSet.Builder claims(String audience, Map<String, Object> claims) {
    Instant now = Instant.now();
    JWTClaimsSet.Builder builder = new JWTClaimsSet.Builder().issuer(url).audience(audience).issueTime(Date.from(now))
        .notBeforeTime(Date.from(now)).expirationTime(Date.from(now.plus(Duration.ofMinutes(5)))).jwtID(UUID.randomUUID().toString());
    claims.forEach(builder::claim);
    return builder;
  }

  /** A token signed with the issuer's current key. */
  public String sign(JWTClaimsSet claims) {
    return sign(claims, key);
  }

  /** A token signed with {@code with}, named by its key id; with another key than the issuer's, a forgery. */
  public static String sign(JWTClaimsSet claims, RSAKey with) {
    try {
      SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(with.getKeyID()).type(JOSEObjectType.JWT).build(),
          claims);
      jwt.sign(new RSASSASigner(with));
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The issuer's current key id. */
  public String keyId() {
    return key.getKeyID();
  }

  private static void send(HttpExchange exchange, String json) throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(200, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    http.stop(0);
  }
}
