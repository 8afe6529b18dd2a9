package dev.tether.server.git;

import java.io.IOException;
import java.net.Proxy;
import java.net.URL;
import java.util.Locale;
import org.eclipse.jgit.errors.TransportException;
import org.eclipse.jgit.errors.UnsupportedCredentialItem;
import org.eclipse.jgit.transport.CredentialItem;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.HttpTransport;
import org.eclipse.jgit.transport.URIish;
import org.eclipse.jgit.transport.http.HttpConnection;
import org.eclipse.jgit.transport.http.HttpConnectionFactory;
import org.eclipse.jgit.transport.http.HttpConnectionFactory2;

/**
 * HTTP(S) fetches that talk only to the origin (scheme, host, port) of the project's URL.
 *
 * <p>JGit follows a Git host's redirects, keeps the credentials it already sent when only the port
 * changes, and asks the credentials provider again for whatever host the redirect names. So a host
 * that redirects elsewhere would receive the project's credentials, and a redirect could lead the
 * server to an address the URL policy refuses. Here every connection is checked before it is opened,
 * so nothing, credentials included, is sent to another origin; redirects within the origin (a host
 * adding {@code .git} to a path) still work.
 */
final class SameOriginHttp {
  private SameOriginHttp() {}

  /** scheme://host:port with the scheme's default port filled in. */
  static String origin(String scheme, String host, int port) {
    String s = scheme.toLowerCase(Locale.ROOT);
    int p = port >= 0 ? port : s.equals("https") ? 443 : 80;
    return s + "://" + host.toLowerCase(Locale.ROOT) + ":" + p;
  }

  static String origin(URL url) {
    return origin(url.getProtocol(), url.getHost(), url.getPort());
  }

  static String origin(URIish uri) {
    return origin(uri.getScheme() == null ? "" : uri.getScheme(), uri.getHost() == null ? "" : uri.getHost(), uri.getPort());
  }

  /** Connections to the origin of {@code projectUrl} only; others fail before a byte is sent. */
  static HttpConnectionFactory2 connections(URL projectUrl) {
    return new PinnedConnections(origin(projectUrl), HttpTransport.getConnectionFactory());
  }

  /** Credentials that are given to the origin of {@code projectUrl} only. */
  static CredentialsProvider credentials(URL projectUrl, CredentialsProvider credentials) {
    return new PinnedCredentials(origin(projectUrl), credentials);
  }

  private record PinnedConnections(String allowedOrigin, HttpConnectionFactory delegate) implements HttpConnectionFactory2 {
    @Override
    public HttpConnection create(URL url) throws IOException {
      return create(url, null);
    }

    @Override
    public HttpConnection create(URL url, Proxy proxy) throws IOException {
      if (!origin(url).equals(allowedOrigin)) {
        // A TransportException leaves JGit at once; other IOExceptions make it retry without credentials.
        throw new TransportException("the Git host redirected to " + url.getProtocol() + "://" + url.getHost()
            + (url.getPort() >= 0 ? ":" + url.getPort() : "") + "; Tether follows redirects only within " + allowedOrigin
            + ", so the project's credentials never reach another host: if you trust that host, use its URL as the "
            + "project's URL");
      }
      return proxy == null ? delegate.create(url) : delegate.create(url, proxy);
    }

    @Override
    public GitSession newSession() {
      if (delegate instanceof HttpConnectionFactory2 sessions) {
        return sessions.newSession();
      }
      return new GitSession() {
        @Override
        public HttpConnection configure(HttpConnection connection, boolean sslVerify) {
          return connection;
        }

        @Override
        public void close() {}
      };
    }
  }

  private static final class PinnedCredentials extends CredentialsProvider {
    private final String origin;
    private final CredentialsProvider delegate;

    PinnedCredentials(String origin, CredentialsProvider delegate) {
      this.origin = origin;
      this.delegate = delegate;
    }

    @Override
    public boolean isInteractive() {
      return false;
    }

    @Override
    public boolean supports(CredentialItem... items) {
      return delegate.supports(items);
    }

    @Override
    public boolean get(URIish uri, CredentialItem... items) throws UnsupportedCredentialItem {
      return origin(uri).equals(origin) && delegate.get(uri, items);
    }

    @Override
    public void reset(URIish uri) {
      delegate.reset(uri);
    }
  }
}
