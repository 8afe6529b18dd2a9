package dev.tether.server.git;

import dev.tether.server.store.Project;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URISyntaxException;
import java.net.URL;
import java.time.Duration;
import java.util.Optional;
import org.eclipse.jgit.api.FetchCommand;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.FetchResult;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.SshTransport;
import org.eclipse.jgit.transport.TransportHttp;
import org.eclipse.jgit.transport.URIish;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Updates one project's mirror from its Git host: the policy check, credentials that go only to the
 * project's own origin, the fetch, the default branch, and errors that say what to fix.
 */
final class MirrorFetch {
  private static final Logger log = LoggerFactory.getLogger(MirrorFetch.class);
  private final Duration timeout;
  private final GitUrlPolicy policy;
  private final SshSessions ssh;

  MirrorFetch(Duration timeout, GitUrlPolicy policy, SshSessions ssh) {
    this.timeout = timeout;
    this.policy = policy;
    this.ssh = ssh;
  }

  /**
   * Fetches every branch and tag of {@code project} and tells which commit its default branch is at.
   * The URL is checked against the server's policy first, every time: what its host resolves to may
   * have changed since the project was added.
   */
  FetchOutcome fetch(Project project, Repository repo) throws GitFetchException {
    String where = "project '" + project.id() + "' from " + GitUrls.redact(project.url());
    Optional<String> refusal = policy.refusalToFetch(project.url());
    if (refusal.isPresent()) {
      throw new GitFetchException("cannot fetch " + where + ": " + refusal.get(), null);
    }
    FetchResult result;
    try (Git git = new Git(repo)) {
      FetchCommand fetch = git.fetch()
          .setRemote(project.url())
          .setRefSpecs(new RefSpec("+refs/heads/*:refs/heads/*"), new RefSpec("+refs/tags/*:refs/tags/*"))
          .setRemoveDeletedRefs(true)
          .setTimeout((int) Math.max(1, timeout.toSeconds()));
      Optional<URL> httpUrl = httpUrl(project.url());
      GitCredentials credentials = project.credentials();
      CredentialsProvider password = null;
      if (credentials instanceof GitCredentials.Basic basic) {
        password = new UsernamePasswordCredentialsProvider(basic.username(), basic.password());
      } else if (credentials instanceof GitCredentials.Token token) {
        password = new UsernamePasswordCredentialsProvider(token.username(), token.token());
      }
      if (password != null) {
        fetch.setCredentialsProvider(httpUrl.isPresent() ? SameOriginHttp.credentials(httpUrl.get(), password) : password);
      }
      fetch.setTransportConfigCallback(transport -> {
        if (transport instanceof TransportHttp http && httpUrl.isPresent()) {
          http.setHttpConnectionFactory(SameOriginHttp.connections(httpUrl.get()));
        }
        if (transport instanceof SshTransport sshTransport && credentials instanceof GitCredentials.SshKey key) {
          sshTransport.setSshSessionFactory(ssh.forProject(project.id(), key));
        }
      });
      result = fetch.call();
    } catch (GitAPIException | RuntimeException e) {
      throw new GitFetchException("cannot fetch " + where + ": " + describe(project.url(), e), e);
    }
    String branch = project.defaultBranch().orElseGet(() -> defaultBranch(result, repo));
    if (branch == null) {
      throw new GitFetchException("cannot fetch " + where + ": the repository has no branches yet", null);
    }
    try {
      Ref tip = repo.exactRef(Constants.R_HEADS + branch);
      if (tip == null) {
        throw new GitFetchException("cannot use " + where + ": it has no branch '" + branch + "'", null);
      }
      RefUpdate head = repo.updateRef(Constants.HEAD);
      head.disableRefLog();
      head.link(Constants.R_HEADS + branch);
      return new FetchOutcome(project.id(), branch, tip.getObjectId().name(), RefsDigest.of(repo));
    } catch (IOException e) {
      throw new GitFetchException("cannot read the mirror of " + where + ": " + e.getMessage(), e);
    }
  }

  private static String defaultBranch(FetchResult result, Repository repo) {
    Ref head = result.getAdvertisedRef(Constants.HEAD);
    if (head != null && head.isSymbolic() && head.getTarget().getName().startsWith(Constants.R_HEADS)) {
      return head.getTarget().getName().substring(Constants.R_HEADS.length());
    }
    // Servers that do not say where HEAD points: take main, then master, then the only branch.
    try {
      for (String candidate : new String[] {"main", "master"}) {
        if (repo.exactRef(Constants.R_HEADS + candidate) != null) {
          return candidate;
        }
      }
      var branches = repo.getRefDatabase().getRefsByPrefix(Constants.R_HEADS);
      return branches.size() == 1 ? branches.get(0).getName().substring(Constants.R_HEADS.length()) : null;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Optional<URL> httpUrl(String url) {
    Optional<GitUrls.Target> target = GitUrls.target(url);
    if (target.isEmpty() || !target.get().scheme().startsWith("http")) {
      return Optional.empty();
    }
    try {
      // As JGit makes its URL, so the origin is the one it connects to.
      return Optional.of(new URL(new URIish(url).toString()));
    } catch (URISyntaxException | MalformedURLException e) {
      return Optional.empty();
    }
  }

  private static String describe(String url, Throwable e) {
    Optional<GitUrls.Target> target = GitUrls.target(url);
    if (target.isPresent() && GitHostErrors.isUnreachable(e)) {
      // The same words for a closed port, a silent one and an unknown name; the cause only at debug level.
      log.debug("Fetching from {} failed: {}", GitUrls.redact(url), GitUrls.redact(String.valueOf(e)), e);
      return GitHostErrors.unreachable(target.get());
    }
    // JGit wraps the useful message (auth failure, unknown host, refused) a level or two down.
    String message = e.getMessage();
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        message = t.getMessage();
      }
    }
    if (message != null && message.contains("Server key did not validate")) {
      message += " (the SSH host key is not in the project's known hosts, or it changed: check the host's key and "
          + "update the project's known_hosts)";
    }
    return GitUrls.redact(message == null ? e.getClass().getSimpleName() : message);
  }
}
