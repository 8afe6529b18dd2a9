package dev.tether.server.git;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Optional;

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
      return Optional.empty(); // scp-like SSH: git@host:group/app.git
    }
    return Optional.of("'" + redact(url) + "' is not a Git URL: use https://, http://, ssh://, git@host:path, git:// or an absolute path");
  }

  /** The URL with any password removed, for messages and logs. */
  public static String redact(String url) {
    return url.replaceAll("(?<=://)([^/@:]*):[^/@]*@", "$1:***@");
  }
}
