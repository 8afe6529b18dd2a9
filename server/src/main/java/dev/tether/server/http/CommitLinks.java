package dev.tether.server.http;

import java.net.URI;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The web page of a commit on the Git host a project URL names, for the hosts whose commit pages
 * follow a known pattern: GitHub and Gitea/Forgejo ({@code /<owner>/<repo>/commit/<sha>}), GitLab
 * ({@code /<group>/<project>/-/commit/<sha>}). Other hosts, and local paths, get no link rather than
 * a guessed one.
 */
final class CommitLinks {
  private static final Pattern SCP_LIKE = Pattern.compile("^(?:[^@/]+@)?([^:/]+):(?!//)(.+)$");

  private CommitLinks() {}

  static Optional<String> of(String projectUrl, String commit) {
    if (projectUrl == null || commit == null || !commit.matches("[0-9a-f]{7,64}")) {
      return Optional.empty();
    }
    String host;
    String path;
    Matcher scp = SCP_LIKE.matcher(projectUrl);
    if (projectUrl.startsWith("https://") || projectUrl.startsWith("http://") || projectUrl.startsWith("ssh://")) {
      URI uri;
      try {
        uri = URI.create(projectUrl);
      } catch (IllegalArgumentException e) {
        return Optional.empty();
      }
      if (uri.getHost() == null || uri.getPath() == null) {
        return Optional.empty();
      }
      host = uri.getHost() + (uri.getScheme().startsWith("http") && uri.getPort() > 0 ? ":" + uri.getPort() : "");
      path = uri.getPath();
    } else if (scp.matches()) {
      host = scp.group(1);
      path = "/" + scp.group(2);
    } else {
      return Optional.empty();
    }
    path = path.replaceAll("/+$", "").replaceAll("\\.git$", "");
    if (path.chars().filter(c -> c == '/').count() < 2) {
      return Optional.empty(); // an owner and a repository at least
    }
    String name = host.toLowerCase(Locale.ROOT);
    String base = "https://" + host + path;
    if (name.equals("github.com") || name.startsWith("github.")) {
      return Optional.of(base + "/commit/" + commit);
    }
    if (name.equals("gitlab.com") || name.startsWith("gitlab.")) {
      return Optional.of(base + "/-/commit/" + commit);
    }
    if (name.equals("codeberg.org") || name.startsWith("gitea.") || name.startsWith("forgejo.")) {
      return Optional.of(base + "/commit/" + commit);
    }
    return Optional.empty();
  }
}
