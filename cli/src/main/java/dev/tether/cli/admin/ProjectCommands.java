package dev.tether.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.common.text.TextTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "project", mixinStandardHelpOptions = true,
    description = "Git projects the server reads: agents' config projects and the manifest projects their configs name.",
    subcommands = {ProjectCommands.Add.class, ProjectCommands.ListProjects.class},
    footer = {"", "Examples:", "  tether admin project add group/config --url /srv/git/config.git", "  tether admin project list"})
final class ProjectCommands implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing a command: add or list.");
  }

  @Command(name = "add", mixinStandardHelpOptions = true,
      description = {
          "Adds a Git project. Any host works: a local path, git://, HTTP(S) with a password or token, SSH with"
              + " a key. Credentials are read from files (never from the command line, where other users could see "
              + "them) and stored sealed. Prints the project's push webhook path and secret."
      },
      footer = {
          "",
          "Examples:",
          "  tether admin project add group/config --url /srv/git/config.git",
          "  tether admin project add group/app \\",
          "      --url https://gitlab.example.com/group/app.git --token-file gitlab.token",
          "  tether admin project add group/app \\",
          "      --url https://git.example.com/group/app.git \\",
          "      --username deploy --password-file pw",
          "  tether admin project add group/app --url git@github.com:group/app.git \\",
          "      --ssh-key-file id_ed25519 --known-hosts-file github_known_hosts"
      })
  static final class Add implements Callable<Integer> {
    @Mixin AdminConnection connection;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ID", description = "The project's id, as config files refer to it, e.g. group/app.")
    String id;

    @Option(names = "--url", required = true, paramLabel = "URL", description = "Where to fetch it from.")
    String url;

    @Option(names = "--username", paramLabel = "NAME", description = "HTTP(S) user name, with --password-file or --token-file.")
    String username;

    @Option(names = "--password-file", paramLabel = "FILE", description = "File with the HTTP(S) password.")
    Path passwordFile;

    @Option(names = "--token-file", paramLabel = "FILE", description = "File with an HTTP(S) access token (GitLab, GitHub, Gitea, Forgejo).")
    Path tokenFile;

    @Option(names = "--ssh-key-file", paramLabel = "FILE", description = "Unencrypted SSH private key, for ssh:// and git@host:path URLs.")
    Path sshKeyFile;

    @Option(names = "--known-hosts-file", paramLabel = "FILE",
        description = "known_hosts lines of the SSH host (required with --ssh-key-file; unknown or changed host keys are refused).")
    Path knownHostsFile;

    @Option(names = "--default-branch", paramLabel = "BRANCH", description = "Branch to read when none is named (default: the remote's HEAD).")
    String defaultBranch;

    @Option(names = "--webhook-secret-file", paramLabel = "FILE", description = "Use this webhook secret instead of a generated one.")
    Path webhookSecretFile;

    @Override
    public Integer call() {
      Map<String, Object> credentials = new LinkedHashMap<>();
      if (username != null) {
        credentials.put("username", username);
      }
      if (passwordFile != null) {
        credentials.put("password", read(passwordFile, "password"));
      }
      if (tokenFile != null) {
        credentials.put("token", read(tokenFile, "token"));
      }
      if (sshKeyFile != null) {
        if (knownHostsFile == null) {
          throw new CommandLine.ParameterException(spec.commandLine(), "--ssh-key-file needs --known-hosts-file: the host keys to "
              + "trust (ssh-keyscan <host> > known_hosts, then check them)");
        }
        credentials.put("ssh_private_key", readRaw(sshKeyFile, "SSH key"));
        credentials.put("ssh_known_hosts", readRaw(knownHostsFile, "known hosts"));
      }
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("id", id);
      body.put("url", url);
      if (!credentials.isEmpty()) {
        body.put("credentials", credentials);
      }
      if (defaultBranch != null) {
        body.put("default_branch", defaultBranch);
      }
      if (webhookSecretFile != null) {
        body.put("webhook_secret", read(webhookSecretFile, "webhook secret"));
      }
      JsonNode created = connection.client().post("/api/v1/projects", body);
      JsonNode project = created.get("project");
      var out = spec.commandLine().getOut();
      out.printf("Project '%s' added (%s, credentials: %s).%n", id, Output.text(project, "url"), Output.text(project, "credentials"));
      out.printf("Push webhook: POST %s%s with secret %s%n", connection.serverUrl.replaceAll("/+$", ""),
          Output.text(project, "webhook_path"), created.get("webhook_secret").asText());
      out.println("(GitHub: content type application/json and this secret; GitLab: this secret token; Gitea/Forgejo: this secret.)");
      return 0;
    }

    private String read(Path file, String what) {
      return readRaw(file, what).strip();
    }

    private String readRaw(Path file, String what) {
      try {
        return Files.readString(file);
      } catch (IOException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), "cannot read the " + what + " file " + file + ": " + e.getMessage());
      }
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists projects and how their last fetch went.",
      footer = {"", "Examples:", "  tether admin project list", "  tether admin project list -o json"})
  static final class ListProjects implements Callable<Integer> {
    @Mixin AdminConnection connection;
    @Mixin Output output;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      JsonNode projects = connection.client().get("/api/v1/projects");
      var out = spec.commandLine().getOut();
      if (output.printedAsJson(out, projects)) {
        return 0;
      }
      TextTable table = new TextTable("ID", "URL", "BRANCH", "COMMIT", "LAST FETCH", "ERROR");
      for (JsonNode p : projects) {
        JsonNode fetch = p.get("last_fetch");
        boolean fetched = fetch != null && !fetch.isNull();
        table.add(p.get("id").asText(), Output.text(p, "url"),
            fetched ? Output.text(fetch, "default_branch") : "-",
            fetched ? Output.shortCommit(Output.text(fetch, "head_commit")) : "-",
            fetched ? Output.ago(fetch, "attempted_at") : "never",
            fetched ? Output.text(fetch, "error") : "-");
      }
      out.print(table.plain());
      return 0;
    }
  }
}
