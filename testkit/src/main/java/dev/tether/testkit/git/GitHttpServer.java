package dev.tether.testkit.git;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jgit.http.server.GitServlet;
import org.eclipse.jgit.transport.resolver.FileResolver;

/**
 * Git's smart HTTP protocol (JGit's GitServlet on Jetty) for every bare repository under a folder,
 * behind HTTP basic authentication, on a free loopback port. It records every Authorization header
 * it receives, answers {@code /moved/*} with a redirect to {@code /git/*} on itself, and can be told
 * to redirect everything to another server, before or after asking for credentials.
 */
public final class GitHttpServer implements AutoCloseable {
  /** When {@link #redirectTo} sends its redirects. */
  public enum RedirectWhen { BEFORE_AUTHENTICATION, AFTER_AUTHENTICATION }

  private final Server jetty;
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger fetches = new AtomicInteger();
  private final List<String> authorizations = new CopyOnWriteArrayList<>();
  private volatile String redirectBase;
  private volatile RedirectWhen redirectWhen;

  private GitHttpServer(Server jetty) {
    this.jetty = jetty;
  }

  public static GitHttpServer serve(Path root, String username, String password) {
    Server jetty = new Server();
    ServerConnector connector = new ServerConnector(jetty);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    jetty.addConnector(connector);

    GitHttpServer server = new GitHttpServer(jetty);
    GitServlet git = new GitServlet();
    git.setRepositoryResolver(new FileResolver<>(root.toFile(), true));
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    context.addServlet(new ServletHolder(git), "/git/*");
    context.addFilter(new FilterHolder(server.new Redirects(RedirectWhen.BEFORE_AUTHENTICATION)), "/*",
        EnumSet.of(DispatcherType.REQUEST));
    context.addFilter(new FilterHolder(server.new BasicAuth(username, password)), "/*",
        EnumSet.of(DispatcherType.REQUEST));
    context.addFilter(new FilterHolder(server.new Redirects(RedirectWhen.AFTER_AUTHENTICATION)), "/*",
        EnumSet.of(DispatcherType.REQUEST));
    jetty.setHandler(context);
    try {
      jetty.start();
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the Git HTTP server: " + e.getMessage(), e);
    }
    return server;
  }

  /** {@code http://127.0.0.1:<port>/git/<name>.git} */
  public String url(GitRepository repository) {
    return "http://127.0.0.1:" + port() + "/git/" + repository.name() + ".git";
  }

  /** {@code http://127.0.0.1:<port>/moved/<name>.git}, which this server redirects to {@link #url}. */
  public String movedUrl(GitRepository repository) {
    return "http://127.0.0.1:" + port() + "/moved/" + repository.name() + ".git";
  }

  /**
   * From now on, answers every request with a 302 to the same path and query under {@code baseUrl}
   * (like {@code http://localhost:1234}), before asking for credentials or once they were given.
   */
  public void redirectTo(String baseUrl, RedirectWhen when) {
    this.redirectWhen = when;
    this.redirectBase = baseUrl;
  }

  /** Every Authorization header received, in order (the test's own secrets, so they may be compared). */
  public List<String> authorizations() {
    return List.copyOf(authorizations);
  }

  public int port() {
    return ((ServerConnector) jetty.getConnectors()[0]).getLocalPort();
  }

  /** Requests that reached the server, authenticated or not. */
  public int requestCount() {
    return requests.get();
  }

  /**
   * Fetches (and clones) that were let in: each starts with one authenticated GET of {@code info/refs}
   * for {@code git-upload-pack}, whether or not it then finds anything new.
   */
  public int fetchCount() {
    return fetches.get();
  }

  @Override
  public void close() {
    try {
      jetty.stop();
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop the Git HTTP server", e);
    }
  }

  private final class Redirects implements Filter {
    private final RedirectWhen when;

    Redirects(RedirectWhen when) {
      this.when = when;
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain) throws IOException, ServletException {
      HttpServletRequest request = (HttpServletRequest) req;
      String path = request.getRequestURI() + (request.getQueryString() == null ? "" : "?" + request.getQueryString());
      String base = redirectBase;
      if (base != null && redirectWhen == when) {
        ((HttpServletResponse) res).sendRedirect(base + path);
        return;
      }
      if (when == RedirectWhen.BEFORE_AUTHENTICATION && path.startsWith("/moved/")) {
        ((HttpServletResponse) res).sendRedirect("/git/" + path.substring("/moved/".length()));
        return;
      }
      chain.doFilter(req, res);
    }
  }

  private final class BasicAuth implements Filter {
    private final byte[] expected;

    BasicAuth(String username, String password) {
      this.expected = ("Basic " + Base64.getEncoder().encodeToString(
          (username + ":" + password).getBytes(StandardCharsets.UTF_8))).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
        throws IOException, ServletException {
      requests.incrementAndGet();
      String given = ((HttpServletRequest) req).getHeader("Authorization");
      if (given != null) {
        authorizations.add(given);
      }
      if (given != null && MessageDigest.isEqual(expected, given.getBytes(StandardCharsets.UTF_8))) {
        HttpServletRequest request = (HttpServletRequest) req;
        if (request.getRequestURI().endsWith("/info/refs") && "git-upload-pack".equals(request.getParameter("service"))) {
          fetches.incrementAndGet();
        }
        chain.doFilter(req, res);
        return;
      }
      HttpServletResponse response = (HttpServletResponse) res;
      response.setHeader("WWW-Authenticate", "Basic realm=\"tether-test-git\"");
      response.sendError(HttpServletResponse.SC_UNAUTHORIZED);
    }
  }
}
