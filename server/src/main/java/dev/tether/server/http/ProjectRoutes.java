package dev.tether.server.http;

import dev.tether.server.git.GitCredentials;
import dev.tether.server.git.GitPoller;
import dev.tether.server.git.GitUrls;
import dev.tether.server.http.ApiModels.CredentialsRequest;
import dev.tether.server.http.ApiModels.FetchView;
import dev.tether.server.http.ApiModels.ProjectRequest;
import dev.tether.server.http.ApiModels.ProjectView;
import dev.tether.server.registry.Registry;
import dev.tether.server.store.Project;
import dev.tether.server.store.ProjectFetch;
import dev.tether.server.store.Store;
import io.javalin.http.Context;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code /api/v1/projects}: the Git projects the server fetches, and their push webhooks. */
final class ProjectRoutes {
  private static final Logger log = LoggerFactory.getLogger(ProjectRoutes.class);

  private final Store store;
  private final Registry registry;
  private final GitPoller poller;
  private final JsonBodies bodies;
  private final String secretOfUnknownProjects = WebhookSignatures.secretNobodyKnows();

  ProjectRoutes(Store store, Registry registry, GitPoller poller, JsonBodies bodies) {
    this.store = store;
    this.registry = registry;
    this.poller = poller;
    this.bodies = bodies;
  }

  void register(ApiRoutes api) {
    api.get("/api/v1/projects", ctx -> ctx.json(store.projects().list().stream().map(this::projectView).toList()));
    api.post("/api/v1/projects", this::addProject);
    api.post("/api/v1/projects/<id>/hooks/push", this::pushWebhook);
    api.get("/api/v1/projects/<id>", ctx -> ctx.json(projectView(project(ctx.pathParam("id")))));
  }

  private void addProject(Context ctx) {
    ProjectRequest request = bodies.read(ctx, ProjectRequest.class, null);
    if (request.id() == null || request.url() == null) {
      throw new ApiException(400, "'id' and 'url' are required");
    }
    Project project = registry.addProject(request.id(), request.url(), credentials(request.credentials()),
        Optional.ofNullable(request.defaultBranch()), Optional.ofNullable(request.webhookSecret()));
    ctx.status(201).json(new ApiModels.CreatedProject(projectView(project), project.webhookSecret()));
  }

  private static GitCredentials credentials(CredentialsRequest c) {
    if (c == null) {
      return new GitCredentials.None();
    }
    boolean password = c.password() != null;
    boolean token = c.token() != null;
    boolean ssh = c.sshPrivateKey() != null;
    if ((password ? 1 : 0) + (token ? 1 : 0) + (ssh ? 1 : 0) > 1) {
      throw new ApiException(400, "give one kind of credentials: password, token or ssh_private_key");
    }
    if (password) {
      if (c.username() == null || c.username().isBlank()) {
        throw new ApiException(400, "a password needs a username");
      }
      return new GitCredentials.Basic(c.username(), c.password());
    }
    if (token) {
      return new GitCredentials.Token(c.username() == null || c.username().isBlank() ? "git" : c.username(), c.token());
    }
    if (ssh) {
      if (c.sshKnownHosts() == null || c.sshKnownHosts().isBlank()) {
        throw new ApiException(400, "an SSH key needs ssh_known_hosts: the host keys to trust (as in ~/.ssh/known_hosts; "
            + "get them with ssh-keyscan and check them), so that a changed host is refused");
      }
      return new GitCredentials.SshKey(c.sshPrivateKey(), c.sshKnownHosts());
    }
    if (c.username() != null) {
      throw new ApiException(400, "a username needs a password or a token");
    }
    return new GitCredentials.None();
  }

  /**
   * A project that does not exist is answered exactly as a bad signature (same status, same body), and
   * after the same work: its request is checked against a secret that nobody knows. Otherwise anyone
   * could list the server's projects by trying names.
   */
  private void pushWebhook(Context ctx) {
    String id = ctx.pathParam("id");
    Optional<Project> project = store.projects().find(id);
    byte[] body = ctx.bodyAsBytes();
    Optional<String> problem = WebhookSignatures.problem(ctx::header, body,
        project.map(Project::webhookSecret).orElse(secretOfUnknownProjects));
    if (project.isEmpty()) {
      log.warn("Refused a push webhook for project '{}' from {}: there is no such project", id, ctx.ip());
      throw new ApiException(401, problem.orElse(WebhookSignatures.NOT_MATCHING));
    }
    if (problem.isPresent()) {
      log.warn("Refused a push webhook for project '{}' from {}: {}", id, ctx.ip(), problem.get());
      throw new ApiException(401, problem.get());
    }
    poller.fetchNow(id);
    ctx.status(202).json(Map.of("project", id, "fetch", "started"));
  }

  private Project project(String id) {
    return store.projects().find(id).orElseThrow(() -> new ApiException(404, "project '" + id + "' does not exist"));
  }

  private ProjectView projectView(Project p) {
    Optional<ProjectFetch> fetch = store.projects().lastFetch(p.id());
    return new ProjectView(p.id(), GitUrls.redact(p.url()), p.credentials().describe(), p.defaultBranch().orElse(null),
        p.createdAt(), "/api/v1/projects/" + p.id() + "/hooks/push", fetch.map(ProjectRoutes::fetchView).orElse(null));
  }

  private static FetchView fetchView(ProjectFetch f) {
    return new FetchView(f.attemptedAt(), f.succeededAt().orElse(null), f.error().orElse(null),
        f.defaultBranch().orElse(null), f.headCommit().orElse(null));
  }
}
