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
 * behind HTTP basic authentication, on a free loopback port.
 */
public final class GitHttpServer implements AutoCloseable {
  private final Server jetty;
  private final AtomicInteger requests = new AtomicInteger();

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
    context.addFilter(new FilterHolder(server.new BasicAuth(username, password)), "/*",
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

  public int port() {
    return ((ServerConnector) jetty.getConnectors()[0]).getLocalPort();
  }

  /** Requests that reached the server, authenticated or not. */
  public int requestCount() {
    return requests.get();
  }

  @Override
  public void close() {
    try {
      jetty.stop();
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop the Git HTTP server", e);
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
      if (given != null && MessageDigest.isEqual(expected, given.getBytes(StandardCharsets.UTF_8))) {
        chain.doFilter(req, res);
        return;
      }
      HttpServletResponse response = (HttpServletResponse) res;
      response.setHeader("WWW-Authenticate", "Basic realm=\"tether-test-git\"");
      response.sendError(HttpServletResponse.SC_UNAUTHORIZED);
    }
  }
}
