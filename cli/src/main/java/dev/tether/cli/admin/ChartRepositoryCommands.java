package dev.tether.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.common.text.TextTable;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
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

@Command(name = "chart-repository", mixinStandardHelpOptions = true,
    description = "Credentials for the Helm chart repositories and OCI registries that Helm sources name (helm: {repository: ...}). "
        + "Public repositories need none.",
    subcommands = {ChartRepositoryCommands.Add.class, ChartRepositoryCommands.ListRepositories.class, ChartRepositoryCommands.Remove.class},
    footer = {"", "Examples:", "  tether admin chart-repository add https://charts.example.com/stable \\",
        "      --username deploy --password-file pw", "  tether admin chart-repository list", "  tether admin chart-repository remove https://charts.example.com/stable"})
final class ChartRepositoryCommands implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing a command: add, list or remove.");
  }

  @Command(name = "add", mixinStandardHelpOptions = true,
      description = {
          "Sets the credentials the server uses for a chart repository (https://..., an index.yaml beside it) or an OCI "
              + "registry (oci://...), replacing any it had. They are read from files (never from the command line, where "
              + "other users could see them) and stored sealed. A source's repository uses the credentials of the longest "
              + "URL added here that is a prefix of it at a '/', so oci://registry.example.com covers every path of that registry."
      },
      footer = {
          "",
          "Examples:",
          "  tether admin chart-repository add https://charts.example.com/stable \\",
          "      --username deploy --password-file pw",
          "  tether admin chart-repository add oci://registry.example.com \\",
          "      --username robot --password-file pw",
          "  tether admin chart-repository add https://charts.example.com/private \\",
          "      --token-file token"
      })
  static final class Add implements Callable<Integer> {
    @Mixin AdminConnection connection;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "URL", description = "The repository, as sources name it.")
    String url;

    @Option(names = "--username", paramLabel = "NAME", description = "User name, with --password-file (basic auth; for OCI also "
        + "what the registry's token service is asked with).")
    String username;

    @Option(names = "--password-file", paramLabel = "FILE", description = "File with the password.")
    Path passwordFile;

    @Option(names = "--token-file", paramLabel = "FILE", description = "File with a token, sent as Authorization: Bearer.")
    Path tokenFile;

    @Override
    public Integer call() {
      if ((passwordFile == null) == (tokenFile == null)) {
        throw new CommandLine.ParameterException(spec.commandLine(), "give --username with --password-file, or --token-file");
      }
      if (passwordFile != null && username == null) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--password-file needs --username");
      }
      if (tokenFile != null && username != null) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--token-file goes without --username (the token is sent as "
            + "Authorization: Bearer)");
      }
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("url", url);
      if (passwordFile != null) {
        body.put("username", username);
        body.put("password", read(passwordFile, "password"));
      } else {
        body.put("token", read(tokenFile, "token"));
      }
      JsonNode added = connection.client().post("/api/v1/chart-repositories", body);
      spec.commandLine().getOut().printf("Chart repository %s: credentials set (%s).%n", Output.text(added, "url"),
          Output.text(added, "credentials"));
      return 0;
    }

    private String read(Path file, String what) {
      try {
        return Files.readString(file).strip();
      } catch (IOException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), "cannot read the " + what + " file " + file + ": " + e.getMessage());
      }
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the chart repositories the server holds credentials for "
      + "(never the secrets).", footer = {"", "Examples:", "  tether admin chart-repository list", "  tether admin chart-repository list -o json"})
  static final class ListRepositories implements Callable<Integer> {
    @Mixin AdminConnection connection;
    @Mixin Output output;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      JsonNode repositories = connection.client().get("/api/v1/chart-repositories");
      var out = spec.commandLine().getOut();
      if (output.printedAsJson(out, repositories)) {
        return 0;
      }
      TextTable table = new TextTable("URL", "CREDENTIALS", "ADDED");
      for (JsonNode r : repositories) {
        table.add(Output.text(r, "url"), Output.text(r, "credentials"), Output.ago(r, "created_at"));
      }
      out.print(table.plain());
      return 0;
    }
  }

  @Command(name = "remove", mixinStandardHelpOptions = true, description = "Removes the credentials for a chart repository; sources "
      + "that use it fetch anonymously from then on.", footer = {"", "Examples:", "  tether admin chart-repository remove oci://registry.example.com"})
  static final class Remove implements Callable<Integer> {
    @Mixin AdminConnection connection;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "URL", description = "The repository URL as it was added.")
    String url;

    @Override
    public Integer call() {
      JsonNode removed = connection.client().delete("/api/v1/chart-repositories?url=" + URLEncoder.encode(url, StandardCharsets.UTF_8));
      spec.commandLine().getOut().printf("Chart repository %s: credentials removed.%n", Output.text(removed, "url"));
      return 0;
    }
  }
}
