package dev.tether.server.kubeproxy;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.BadJWSException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.EncryptedJWT;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.tether.common.config.OidcIssuer;
import dev.tether.server.git.GitUrlPolicy;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks the OIDC id tokens CI jobs present at the Kubernetes API proxy, with Nimbus JOSE + JWT: the
 * token's issuer must be one the server is configured with, its signature must verify with one of that
 * issuer's published keys under an asymmetric algorithm (never {@code none}, never HMAC: an HMAC "signed"
 * with the public key would verify for anyone), and it must be for this server's audience, not expired
 * and not before its time, allowing {@link #CLOCK_SKEW} either way. Messages say what is wrong and never
 * repeat the token.
 */
final class IdTokenVerifier {
  static final Duration CLOCK_SKEW = Duration.ofSeconds(60);
  static final String ISSUERS_OPTION = "--oidc-issuers-file";
  /** A JWS in compact form: three base64url parts (the last empty for alg none). Tether's own tokens have no dots. */
  private static final Pattern COMPACT_JWT = Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*");
  private static final Set<JWSAlgorithm> ASYMMETRIC = new HashSet<>();

  static {
    ASYMMETRIC.addAll(JWSAlgorithm.Family.RSA);
    ASYMMETRIC.addAll(JWSAlgorithm.Family.EC);
    ASYMMETRIC.addAll(JWSAlgorithm.Family.ED);
  }

  private record Issuer(OidcIssuer config, DefaultJWTProcessor<SecurityContext> processor) {}

  private final Map<String, Issuer> issuers = new LinkedHashMap<>();

  IdTokenVerifier(List<OidcIssuer> configured, GitUrlPolicy outbound) {
    OidcFetcher fetcher = new OidcFetcher(outbound);
    for (OidcIssuer issuer : configured) {
      DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
      processor.setJWSKeySelector(new JWSVerificationKeySelector<>(ASYMMETRIC, new IssuerKeys(issuer, fetcher)));
      DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(issuer.audience(),
          new JWTClaimsSet.Builder().issuer(issuer.issuer().toString()).build(), Set.of("sub", "exp", "iat"));
      claims.setMaxClockSkew((int) CLOCK_SKEW.toSeconds());
      processor.setJWTClaimsSetVerifier(claims);
      issuers.put(issuer.issuer().toString(), new Issuer(issuer, processor));
    }
  }

  /** Whether a presented credential is a JWT rather than a Tether access token. */
  static boolean looksLikeJwt(String credential) {
    return COMPACT_JWT.matcher(credential).matches();
  }

  /** The CI job a valid token stands for; a 401 naming the problem otherwise, or a 503 when the issuer's keys cannot be had. */
  CiJobClaims verify(String token) throws ProxyRefusal {
    JWT jwt;
    try {
      jwt = JWTParser.parse(token);
    } catch (ParseException e) {
      throw refused("it is not a well-formed JWT");
    }
    if (jwt instanceof PlainJWT) {
      throw refused("it is unsigned (alg none); only tokens signed by a configured issuer are accepted");
    }
    if (jwt instanceof EncryptedJWT || !(jwt instanceof SignedJWT signed)) {
      throw refused("it is encrypted; send the signed id token the CI issued");
    }
    JWSHeader header = signed.getHeader();
    if (!ASYMMETRIC.contains(header.getAlgorithm())) {
      throw refused("it is signed with " + header.getAlgorithm() + "; only RSA, EC and EdDSA signatures (RS256, ES256, …) "
          + "made with the issuer's private key are accepted");
    }
    String issuerName;
    try {
      issuerName = signed.getJWTClaimsSet().getIssuer();
    } catch (ParseException e) {
      throw refused("its claims are not a JSON object");
    }
    Issuer issuer = issuerName == null ? null : issuers.get(issuerName);
    if (issuer == null) {
      throw refused(issuerName == null ? "it has no iss claim"
          : "its issuer '" + CiJobClaims.printable(issuerName) + "' is not configured on this server" + (issuers.isEmpty()
              ? " (it accepts no id tokens: list issuers in the file given to " + ISSUERS_OPTION + ")"
              : " (configured: " + String.join(", ", issuers.keySet()) + ")"));
    }
    JWTClaimsSet claims;
    try {
      claims = issuer.processor().process(signed, null);
    } catch (BadJWSException e) {
      throw refused("its signature does not verify with the key " + kid(header) + " of issuer " + issuerName
          + ": it was not signed by that issuer");
    } catch (BadJWTException e) {
      throw refused(claimsProblem(issuer.config(), signed));
    } catch (BadJOSEException e) {
      throw refused("issuer " + issuerName + " publishes no " + header.getAlgorithm() + " key " + kid(header)
          + " (its keys were fetched again to look for it)");
    } catch (RateLimitReachedException e) {
      // The key is unknown and the keys were fetched again moments ago: most likely a made-up key id.
      throw refused("issuer " + issuerName + " publishes no " + header.getAlgorithm() + " key " + kid(header)
          + " (its keys were fetched less than " + IssuerKeys.REFETCH_AT_MOST_EVERY.toSeconds() + "s ago)");
    } catch (JOSEException e) {
      throw new ProxyRefusal(503, "cannot check the id token now: " + e.getMessage() + "; try again later");
    }
    try {
      return CiJobClaims.from(claims);
    } catch (CiJobClaims.InvalidClaims e) {
      throw refused("it is not a CI job's token: " + e.getMessage());
    }
  }

  /** Which claim check failed, in words; Nimbus has already said that one did. */
  private static String claimsProblem(OidcIssuer issuer, SignedJWT signed) {
    JWTClaimsSet claims;
    try {
      claims = signed.getJWTClaimsSet();
    } catch (ParseException e) {
      return "its claims are not a JSON object";
    }
    Instant now = Instant.now();
    Date exp = claims.getExpirationTime();
    Date nbf = claims.getNotBeforeTime();
    List<String> audience = claims.getAudience();
    if (audience == null || !audience.contains(issuer.audience())) {
      return "it is for audience " + (audience == null ? "(none)" : audience.stream().map(CiJobClaims::printable).toList())
          + ", not this server's '" + issuer.audience() + "': ask the CI for an id token with that audience";
    }
    if (exp == null || claims.getSubject() == null || claims.getIssueTime() == null) {
      return "it lacks one of the claims sub, exp and iat";
    }
    if (!now.isBefore(exp.toInstant().plus(CLOCK_SKEW))) {
      return "it expired at " + exp.toInstant() + " (allowing " + CLOCK_SKEW.toSeconds() + "s of clock skew); ask the CI for a new one";
    }
    if (nbf != null && now.isBefore(nbf.toInstant().minus(CLOCK_SKEW))) {
      return "it is not valid before " + nbf.toInstant() + " (allowing " + CLOCK_SKEW.toSeconds() + "s of clock skew)";
    }
    return "its claims are not valid";
  }

  private static String kid(JWSHeader header) {
    return header.getKeyID() == null ? "(the token names none)" : "'" + CiJobClaims.printable(header.getKeyID()) + "'";
  }

  private static ProxyRefusal refused(String why) {
    return new ProxyRefusal(401, "the OIDC id token was refused: " + why);
  }
}
