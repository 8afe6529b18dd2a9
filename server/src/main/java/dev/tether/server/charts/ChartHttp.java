package dev.tether.server.charts;

import dev.tether.server.git.GitUrlPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * GETs for chart repositories and registries, made by the server itself so that its rules hold:
 * every URL, each redirect included, is checked against the server's host policy before a byte is
 * sent; credentials go only to the origin they were given for (a redirect to a blob store or an
 * index that points elsewhere gets none); every answer is read within a size limit and a time limit.
 */
final class ChartHttp {
  private static final int MAX_REDIRECTS = 5;

  /** An answer, read whole (within its limit), with the URL that gave it after redirects. */
  record Response(int status, HttpHeaders headers, byte[] body, URI uri) {
    Optional<String> header(String name) {
      return headers.firstValue(name);
    }
  }

  private final GitUrlPolicy policy;
  private final Duration timeout;
  private final HttpClient client;

  ChartHttp(GitUrlPolicy policy, Duration timeout) {
    this.policy = policy;
    this.timeout = timeout;
    this.client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(timeout).build();
  }

  /**
   * GETs {@code uri}, following redirects the policy allows.
   *
   * @param authorization the Authorization header, sent only to {@code credentialOrigin}; null for none
   * @param what what is fetched, for messages, like {@code index.yaml of https://charts.example.com}
   */
  Response get(URI uri, String authorization, String credentialOrigin, String accept, long maxBytes, String what)
      throws ChartFetchException {
    URI current = uri;
    for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
      Optional<String> refused = policy.refusalToFetch(current.toString());
      if (refused.isPresent()) {
        throw new ChartFetchException(what + ": " + refused.get().replace("Git hosts", "hosts (Git and charts)"), false);
      }
      HttpRequest.Builder request = HttpRequest.newBuilder(current).timeout(timeout).GET()
          .header("User-Agent", "tether-server");
      if (accept != null) {
        request.header("Accept", accept);
      }
      if (authorization != null && origin(current).equals(credentialOrigin)) {
        request.header("Authorization", authorization);
      }
      HttpResponse<InputStream> response;
      try {
        response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
      } catch (IOException e) {
        throw new ChartFetchException(what + ": cannot reach " + current.getScheme() + "://" + hostAndPort(current)
            + " (no answer, refused, or the name does not resolve): check the repository URL and that the repository is up", true);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ChartFetchException(what + ": interrupted", true);
      }
      int status = response.statusCode();
      if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
        close(response);
        Optional<String> location = response.headers().firstValue("Location");
        if (location.isEmpty()) {
          throw new ChartFetchException(what + ": " + hostAndPort(current) + " redirected (" + status + ") without a Location", false);
        }
        current = current.resolve(location.get());
        continue;
      }
      return new Response(status, response.headers(), read(response, maxBytes, what), current);
    }
    throw new ChartFetchException(what + ": more than " + MAX_REDIRECTS + " redirects, from " + hostAndPort(uri), false);
  }

  private static byte[] read(HttpResponse<InputStream> response, long maxBytes, String what) throws ChartFetchException {
    try (InputStream in = response.body()) {
      byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
      if (bytes.length > maxBytes) {
        throw new ChartFetchException(what + " is more than " + maxBytes + " bytes (the limit for it)", false);
      }
      return bytes;
    } catch (IOException e) {
      throw new ChartFetchException(what + ": the answer broke off (" + e.getClass().getSimpleName() + "); it is fetched again "
          + "on the next poll", true);
    }
  }

  private static void close(HttpResponse<InputStream> response) {
    try {
      response.body().close();
    } catch (IOException ignored) {
      // Nothing was read from a redirect; a failed close changes nothing.
    }
  }

  /** host[:port] of a URL, never the user information an index or a redirect may put in it. */
  static String hostAndPort(URI uri) {
    return uri.getHost() + (uri.getPort() >= 0 ? ":" + uri.getPort() : "");
  }

  /** The URL without user information, for messages. */
  static String redacted(URI uri) {
    return uri.getRawUserInfo() == null ? uri.toString() : uri.toString().replace(uri.getRawUserInfo() + "@", "");
  }

  /** scheme://host:port with the default port filled in: where credentials may go. */
  static String origin(URI uri) {
    String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
    int port = uri.getPort() >= 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
    return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + ":" + port;
  }

  /** The status as a user reads it, for a repository that refused or did not have something. */
  static String explain(int status) {
    return switch (status) {
      case 401 -> "401 Unauthorized: the server's credentials for it are missing or wrong; set them with "
          + "tether admin chart-repository add URL --username U --password-file F (or --token-file F)";
      case 403 -> "403 Forbidden: the server's credentials for it may not read this; check the account's permissions";
      case 404 -> "404 Not Found";
      case 429 -> "429 Too Many Requests: the repository limits requests; the server tries again on the next poll";
      default -> status >= 500 ? status + ": the repository has trouble; the server tries again on the next poll" : String.valueOf(status);
    };
  }
}
