package dev.tether.server.git;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Optional;
import org.eclipse.jgit.transport.URIish;

/** Checks of project URLs before they are stored. */
public final class GitUrls {
  private GitUrls() {}

  /** Why a URL cannot be a project URL, or empty when it can. */
  public static Optional<String> problem(String url) {
    if (url == null || url.isBlank()) {
      return Optional.of("the URL is empty");
    }
    String lower = url.toLowerCase(Locale.ROOT);
    if (lower.startsWith("http://") || lower.startsWith("https://") || lower.startsWith("git://") || lower.startsWith("ssh://")) {
      try {
        URI uri = new URI(url);
        if (uri.getHost() == null) {
          return Optional.of("'" + redact(url) + "' has no host");
        }
        if (!sameHostForJGit(url, uri.getHost())) {
          return Optional.of("'" + redact(url) + "' is ambiguous: Git would read another host from it than the one it seems to "
              + "name; write it without '#', '?' or '\\' before the path");
        }
        String userInfo = uri.getRawUserInfo();
        if (userInfo != null && userInfo.contains(":")) {
          return Optional.of("the URL contains a password; pass credentials with --password-file or --token-file instead, "
              + "so they are stored sealed and never shown");
        }
      } catch (URISyntaxException e) {
        return Optional.of("'" + redact(url) + "' is not a valid URL: " + e.getReason());
      }
      return Optional.empty();
    }
    if (lower.startsWith("file://") || url.startsWith("/")) {
      return Optional.empty();
    }
    if (url.matches("[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:.+")) {
      // scp-like SSH: git@host:group/app.git
      String host = url.substring(url.indexOf('@') + 1, url.indexOf(':', url.indexOf('@')));
      return sameHostForJGit(url, host) ? Optional.empty()
          : Optional.of("'" + redact(url) + "' is ambiguous: Git would read another host from it; use ssh://user@host/path");
    }
    return Optional.of("'" + redact(url) + "' is not a Git URL: use https://, http://, ssh://, git@host:path, git:// or an absolute path");
  }

  /** Where a network URL leads: its scheme ({@code git@host:path} is ssh), host and port (-1 when the URL names none). */
  public record Target(String scheme, String host, int port) {
    /** The port the URL names, or its scheme's default. */
    public int effectivePort() {
      if (port >= 0) {
        return port;
      }
      return switch (scheme) {
        case "https" -> 443;
        case "http" -> 80;
        case "ssh" -> 22;
        default -> 9418;
      };
    }

    /** {@code host} or {@code host:port}, for messages. */
    public String hostAndPort() {
      String shown = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
      return port < 0 ? shown : shown + ":" + port;
    }
  }

  /** Whether a URL names a repository on the server's own disk. */
  public static boolean isLocalPath(String url) {
    return url.startsWith("/") || url.toLowerCase(Locale.ROOT).startsWith("file:");
  }

  /** Where a URL that {@link #problem} accepts leads; empty for local paths. */
  public static Optional<Target> target(String url) {
    if (isLocalPath(url)) {
      return Optional.empty();
    }
    // What JGit, which makes the connection, reads from the URL.
    try {
      URIish uri = new URIish(url);
      String host = uri.getHost();
      if (host == null || host.isEmpty()) {
        return Optional.empty();
      }
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      String scheme = uri.getScheme() == null ? "ssh" : uri.getScheme().toLowerCase(Locale.ROOT);
      return Optional.of(new Target(scheme, host.toLowerCase(Locale.ROOT), uri.getPort()));
    } catch (URISyntaxException e) {
      return Optional.empty();
    }
  }

  /**
   * Whether JGit reads the same host from a URL as {@code host}. Where parsers disagree (a
   * {@code #@} or {@code ?@} before the host), a URL checked by one and fetched by the other
   * could reach a host nobody checked.
   */
  private static boolean sameHostForJGit(String url, String host) {
    try {
      String jgitHost = new URIish(url).getHost();
      return jgitHost != null && unbracketed(jgitHost).equalsIgnoreCase(unbracketed(host));
    } catch (URISyntaxException e) {
      return false;
    }
  }

  private static String unbracketed(String host) {
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }

  /** The URL with any password removed, for messages and logs. */
  public static String redact(String url) {
    return url.replaceAll("(?<=://)([^/@:]*):[^/@]*@", "$1:***@");
  }
}
