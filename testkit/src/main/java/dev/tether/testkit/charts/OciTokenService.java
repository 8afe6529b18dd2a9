package dev.tether.testkit.charts;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.common.tls.CertificateAuthority;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * A registry token service as Docker's token authentication describes it: given the right basic
 * credentials, {@code GET /token?service=..&scope=..} answers a JWT (ES256, with its certificate in
 * {@code x5c}) that grants what the scopes ask. The distribution registry trusts it through the
 * certificate it is given ({@link #certificatePem()}), and sends clients here with a Bearer challenge.
 */
public final class OciTokenService implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String ISSUER = "tether-test-token-issuer";

  private final Server jetty;
  private final CertificateAuthority key = CertificateAuthority.create("tether-test-token-issuer", Duration.ofDays(1));
  private final byte[] expected;
  private final List<String> scopes = new CopyOnWriteArrayList<>();

  private OciTokenService(String username, String password) {
    this.expected = ("Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8)))
        .getBytes(StandardCharsets.UTF_8);
    jetty = new Server();
    ServerConnector connector = new ServerConnector(jetty);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    jetty.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    context.addServlet(new ServletHolder(new Tokens()), "/token");
    jetty.setHandler(context);
  }

  public static OciTokenService start(String username, String password) {
    OciTokenService service = new OciTokenService(username, password);
    try {
      service.jetty.start();
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the token service: " + e.getMessage(), e);
    }
    return service;
  }

  public String realm() {
    return "http://127.0.0.1:" + ((ServerConnector) jetty.getConnectors()[0]).getLocalPort() + "/token";
  }

  /** The certificate whose key signs the tokens, for the registry's {@code rootcertbundle}. */
  public String certificatePem() {
    return key.certificatePem();
  }

  /** The scopes of every token issued, in order. */
  public List<String> issuedScopes() {
    return List.copyOf(scopes);
  }

  @Override
  public void close() {
    try {
      jetty.stop();
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop the token service", e);
    }
  }

  private String token(String subject, String service, String[] requested) throws GeneralSecurityException, IOException {
    List<Map<String, Object>> access = new ArrayList<>();
    for (String scope : requested == null ? new String[0] : requested) {
      // repository:charts/api:pull,push
      String[] parts = scope.split(":");
      if (parts.length == 3) {
        access.add(Map.of("type", parts[0], "name", parts[1], "actions", List.of(parts[2].split(","))));
        scopes.add(scope);
      }
    }
    long now = Instant.now().getEpochSecond();
    Map<String, Object> header = new LinkedHashMap<>();
    header.put("typ", "JWT");
    header.put("alg", "ES256");
    header.put("x5c", List.of(Base64.getEncoder().encodeToString(key.certificate().getEncoded())));
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("iss", ISSUER);
    claims.put("sub", subject);
    claims.put("aud", service);
    claims.put("exp", now + 300);
    claims.put("nbf", now - 10);
    claims.put("iat", now);
    claims.put("jti", UUID.randomUUID().toString());
    claims.put("access", access);
    Base64.Encoder url = Base64.getUrlEncoder().withoutPadding();
    String signed = url.encodeToString(JSON.writeValueAsBytes(header)) + "." + url.encodeToString(JSON.writeValueAsBytes(claims));
    Signature signer = Signature.getInstance("SHA256withECDSA");
    signer.initSign(key.privateKey());
    signer.update(signed.getBytes(StandardCharsets.US_ASCII));
    return signed + "." + url.encodeToString(joseSignature(signer.sign()));
  }

  /** JWS wants ECDSA's r and s as two 32-byte numbers, where Java gives a DER sequence. */
  private static byte[] joseSignature(byte[] der) {
    int offset = der[1] == (byte) 0x81 ? 3 : 2;
    int rLength = der[offset + 1];
    BigInteger r = new BigInteger(1, java.util.Arrays.copyOfRange(der, offset + 2, offset + 2 + rLength));
    int sStart = offset + 2 + rLength;
    int sLength = der[sStart + 1];
    BigInteger s = new BigInteger(1, java.util.Arrays.copyOfRange(der, sStart + 2, sStart + 2 + sLength));
    byte[] out = new byte[64];
    byte[] rb = r.toByteArray();
    byte[] sb = s.toByteArray();
    System.arraycopy(rb, Math.max(0, rb.length - 32), out, 32 - Math.min(32, rb.length), Math.min(32, rb.length));
    System.arraycopy(sb, Math.max(0, sb.length - 32), out, 64 - Math.min(32, sb.length), Math.min(32, sb.length));
    return out;
  }

  private final class Tokens extends HttpServlet {
    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
      String given = request.getHeader("Authorization");
      if (given == null || !MessageDigest.isEqual(expected, given.getBytes(StandardCharsets.UTF_8))) {
        response.setHeader("WWW-Authenticate", "Basic realm=\"tether-test-token\"");
        response.sendError(HttpServletResponse.SC_UNAUTHORIZED);
        return;
      }
      String user = new String(Base64.getDecoder().decode(given.substring(6)), StandardCharsets.UTF_8).split(":", 2)[0];
      try {
        String token = token(user, request.getParameter("service"), request.getParameterValues("scope"));
        response.setContentType("application/json");
        response.getOutputStream().write(JSON.writeValueAsBytes(Map.of("token", token, "access_token", token, "expires_in", 300,
            "issued_at", Instant.now().toString())));
      } catch (GeneralSecurityException e) {
        response.sendError(500, e.getMessage());
      }
    }
  }
}
