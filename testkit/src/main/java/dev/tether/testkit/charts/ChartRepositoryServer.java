package dev.tether.testkit.charts;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * A Helm chart repository as a static web server serves one: a folder with the archives that the
 * real {@code helm package} made and the {@code index.yaml} that the real {@code helm repo index}
 * wrote, behind HTTP basic authentication, on a free loopback port. It records the paths it was asked for.
 */
public final class ChartRepositoryServer implements AutoCloseable {
  private final Server jetty;
  private final Path root;
  private final ChartTools tools;
  private final List<String> requested = new CopyOnWriteArrayList<>();
  private final List<String> authorizations = new CopyOnWriteArrayList<>();

  private ChartRepositoryServer(Server jetty, Path root, ChartTools tools) {
    this.jetty = jetty;
    this.root = root;
    this.tools = tools;
  }

  /** Serves {@code root} (created if missing) as {@code http://127.0.0.1:<port>/charts}. */
  public static ChartRepositoryServer serve(Path root, ChartTools tools, String username, String password) {
    try {
      Files.createDirectories(root);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Server jetty = new Server();
    ServerConnector connector = new ServerConnector(jetty);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    jetty.addConnector(connector);
    ChartRepositoryServer server = new ChartRepositoryServer(jetty, root, tools);
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    context.addServlet(new ServletHolder(server.new StaticFiles(username, password)), "/charts/*");
    jetty.setHandler(context);
    try {
      jetty.start();
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the chart repository server: " + e.getMessage(), e);
    }
    return server;
  }

  /** The repository URL, as a source names it. */
  public String url() {
    return "http://127.0.0.1:" + ((ServerConnector) jetty.getConnectors()[0]).getLocalPort() + "/charts";
  }

  /** Packages the chart folder with helm and indexes the repository again with helm (relative archive URLs). */
  public Path publish(Path chart) {
    Path archive = tools.packageChart(chart, root);
    tools.helm("repo", "index", root.toString());
    return archive;
  }

  /** Packages the chart folder and indexes the repository with absolute archive URLs under {@code baseUrl}, as mirrors do. */
  public Path publish(Path chart, String baseUrl) {
    Path archive = tools.packageChart(chart, root);
    tools.helm("repo", "index", root.toString(), "--url", baseUrl);
    return archive;
  }

  /**
   * Adds an archive made by other means than {@code helm package} (which refuses a chart whose Chart.yaml
   * dependencies are not under charts/) and indexes the repository again with helm.
   */
  public void publishArchive(String fileName, byte[] archive) {
    replaceArchive(fileName, archive);
    tools.helm("repo", "index", root.toString());
  }

  /** Replaces an archive's bytes after it was indexed, as a tampered mirror would. */
  public void replaceArchive(String fileName, byte[] archive) {
    try {
      Files.write(root.resolve(fileName), archive);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every Authorization header received, in order (the test's own secrets, so they may be compared). */
  public List<String> authorizations() {
    return List.copyOf(authorizations);
  }

  /** The request paths received, in order. */
  public List<String> requested() {
    return List.copyOf(requested);
  }

  @Override
  public void close() {
    try {
      jetty.stop();
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop the chart repository server", e);
    }
  }

  private final class StaticFiles extends HttpServlet {
    private final byte[] expected;

    StaticFiles(String username, String password) {
      this.expected = ("Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8)))
          .getBytes(StandardCharsets.UTF_8);
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
      requested.add(request.getRequestURI());
      String given = request.getHeader("Authorization");
      if (given != null) {
        authorizations.add(given);
      }
      if (given == null || !MessageDigest.isEqual(expected, given.getBytes(StandardCharsets.UTF_8))) {
        response.setHeader("WWW-Authenticate", "Basic realm=\"tether-test-charts\"");
        response.sendError(HttpServletResponse.SC_UNAUTHORIZED);
        return;
      }
      String name = request.getPathInfo() == null ? "" : request.getPathInfo().substring(1);
      Path file = root.resolve(name).normalize();
      if (name.isEmpty() || !file.startsWith(root) || !java.nio.file.Files.isRegularFile(file)) {
        response.sendError(HttpServletResponse.SC_NOT_FOUND);
        return;
      }
      response.setContentType(name.endsWith(".yaml") ? "application/yaml" : "application/gzip");
      response.getOutputStream().write(java.nio.file.Files.readAllBytes(file));
    }
  }
}
