package dev.tether.server.kubeproxy;

import com.nimbusds.jose.util.Resource;
import com.nimbusds.jose.util.ResourceRetriever;
import dev.tether.server.git.GitUrlPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * Fetches an issuer's discovery document and JWKS: only from hosts the server's outbound rules
 * ({@code --allow-git-url}) allow, so an issuers file cannot make the server reach its own loopback
 * services or the cloud's metadata endpoint unless the operator named them; with timeouts, a size
 * cap, and no redirects (a redirect could lead past those rules).
 */
final class OidcFetcher implements ResourceRetriever {
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  static final Duration READ_TIMEOUT = Duration.ofSeconds(10);
  static final int MAX_BYTES = 512 * 1024;

  private final GitUrlPolicy outbound;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT)
      .followRedirects(HttpClient.Redirect.NEVER).build();

  OidcFetcher(GitUrlPolicy outbound) {
    this.outbound = outbound;
  }

  @Override
  public Resource retrieveResource(URL url) throws IOException {
    String text = url.toString();
    Optional<String> refusal = outbound.refusalToFetch(text);
    if (refusal.isPresent()) {
      throw new IOException("the server may not fetch " + text + ": " + refusal.get());
    }
    HttpResponse<InputStream> response;
    try {
      response = http.send(HttpRequest.newBuilder(url.toURI()).timeout(READ_TIMEOUT).header("Accept", "application/json").GET().build(),
          HttpResponse.BodyHandlers.ofInputStream());
    } catch (URISyntaxException e) {
      throw new IOException(text + " is not a valid URL", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while fetching " + text, e);
    }
    try (InputStream body = response.body()) {
      if (response.statusCode() != 200) {
        throw new IOException(text + " answered HTTP " + response.statusCode() + " (redirects are not followed)");
      }
      byte[] bytes = body.readNBytes(MAX_BYTES + 1);
      if (bytes.length > MAX_BYTES) {
        throw new IOException(text + " sent more than " + MAX_BYTES / 1024 + " KiB");
      }
      return new Resource(new String(bytes, StandardCharsets.UTF_8), response.headers().firstValue("Content-Type").orElse(null));
    }
  }
}
