package dev.tether.server.kubeproxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.SecurityContext;
import dev.tether.common.config.OidcIssuer;
import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.text.ParseException;
import java.time.Duration;
import java.util.List;

/**
 * One issuer's signing keys: from its {@code jwks_file}, or from the {@code jwks_uri} of its discovery
 * document, cached for {@link #CACHE_FOR} and fetched again when a token names a key the cache does
 * not hold (a rotation), at most once every {@link #REFETCH_AT_MOST_EVERY} so that tokens with made-up
 * key ids cannot make the server hammer the issuer. Discovery is done on first use, not at start, so
 * an issuer that is down does not keep the server from starting.
 */
final class IssuerKeys implements JWKSource<SecurityContext> {
  static final Duration CACHE_FOR = Duration.ofMinutes(10);
  static final Duration REFETCH_AT_MOST_EVERY = Duration.ofSeconds(5);
  // After a failed discovery, tokens are refused at once for this long rather than each waiting for the issuer.
  private static final Duration DISCOVERY_RETRY_AFTER = Duration.ofSeconds(5);

  private final OidcIssuer issuer;
  private final OidcFetcher fetcher;
  private JWKSource<SecurityContext> source;
  private long discoveryFailedAt;
  private String discoveryProblem;

  IssuerKeys(OidcIssuer issuer, OidcFetcher fetcher) {
    this.issuer = issuer;
    this.fetcher = fetcher;
  }

  @Override
  public List<JWK> get(JWKSelector selector, SecurityContext context) throws KeySourceException {
    return source().get(selector, context);
  }

  private synchronized JWKSource<SecurityContext> source() throws KeySourceException {
    if (source != null) {
      return source;
    }
    if (issuer.jwksFile().isPresent()) {
      try {
        source = new ImmutableJWKSet<>(JWKSet.load(issuer.jwksFile().get().toFile()));
        return source;
      } catch (IOException | ParseException e) {
        throw new KeySourceException("cannot read the JWKS file " + issuer.jwksFile().get() + " of issuer " + issuer.issuer() + ": "
            + e.getMessage());
      }
    }
    if (discoveryProblem != null && System.nanoTime() - discoveryFailedAt < DISCOVERY_RETRY_AFTER.toNanos()) {
      throw new KeySourceException(discoveryProblem);
    }
    try {
      source = JWKSourceBuilder.create(jwksUri(), fetcher)
          .cache(CACHE_FOR.toMillis(), OidcFetcher.READ_TIMEOUT.toMillis())
          .rateLimited(REFETCH_AT_MOST_EVERY.toMillis())
          .retrying(false)
          .build();
      discoveryProblem = null;
      return source;
    } catch (IOException e) {
      discoveryProblem = "cannot discover the keys of issuer " + issuer.issuer() + ": " + e.getMessage();
      discoveryFailedAt = System.nanoTime();
      throw new KeySourceException(discoveryProblem);
    }
  }

  private URL jwksUri() throws IOException {
    String base = issuer.issuer().toString();
    URL discovery = URI.create((base.endsWith("/") ? base : base + "/") + ".well-known/openid-configuration").toURL();
    JsonNode document = KubeStatus.JSON.readTree(fetcher.retrieveResource(discovery).getContent());
    // OpenID Connect Discovery 1.0 §4.3: the document must be the issuer's own.
    if (!document.path("issuer").asText().equals(base)) {
      throw new IOException(discovery + " names issuer '" + document.path("issuer").asText() + "', not " + base);
    }
    String jwks = document.path("jwks_uri").asText("");
    if (jwks.isEmpty()) {
      throw new IOException(discovery + " has no jwks_uri");
    }
    try {
      return URI.create(jwks).toURL();
    } catch (IllegalArgumentException e) {
      throw new IOException(discovery + " has a jwks_uri that is not a URL: " + jwks);
    }
  }
}
