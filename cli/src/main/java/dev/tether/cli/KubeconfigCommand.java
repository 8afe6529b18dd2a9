package dev.tether.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.common.json.JsonMappers;
import dev.tether.common.kubeproxy.ProxyKubeconfig;
import dev.tether.common.tls.CaTrust;
import dev.tether.common.token.MalformedTokenException;
import dev.tether.common.token.SecretToken;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "kubeconfig",
    mixinStandardHelpOptions = true,
    description = {"Writes a kubeconfig for reaching an agent's cluster through the server's Kubernetes API proxy with "
        + "plain kubectl.", "The token in it is '<agent>:<access token>'; the agent's config.yaml decides (ci_access, "
        + "user_access) who may use it.", "Without --namespace it asks the proxy whether the token gets in and which "
        + "default_namespace the agent's ci_access entry names, and uses that; a token the proxy refuses fails here, with "
        + "the proxy's reason. If the proxy cannot be reached, it says so and writes the kubeconfig without a namespace."},
    footer = {
        "",
        "Examples:",
        "  tether kubeconfig --agent prod --token-file ci.token \\",
        "      --server https://tether.example.com:8444 > kubeconfig",
        "  KUBECONFIG=kubeconfig kubectl get pods",
        "",
        "  # in a CI job, with the access token in a masked variable TETHER_TOKEN:",
        "  tether kubeconfig --agent prod --token-file <(printf %%s \"$TETHER_TOKEN\") \\",
        "      --server \"$TETHER_PROXY\" --out kubeconfig"
    })
final class KubeconfigCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = JsonMappers.newMapper();

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--agent", required = true, paramLabel = "NAME", description = "The agent whose cluster to reach.")
  String agent;

  @Option(names = "--token-file", required = true, paramLabel = "FILE",
      description = "File with an access token (from `tether admin access-token create`).")
  Path tokenFile;

  @Option(names = "--server", required = true, paramLabel = "URL", description = "The Kubernetes API proxy, e.g. https://tether.example.com:8444.")
  String server;

  @Option(names = "--ca-file", paramLabel = "FILE",
      description = "PEM CA of the proxy's certificate, embedded in the kubeconfig (default: the system's trusted CAs).")
  Path caFile;

  @Option(names = "--namespace", paramLabel = "NAMESPACE",
      description = "The context's default namespace (default: the ci_access entry's default_namespace, asked of the proxy).")
  String namespace;

  @Option(names = "--out", paramLabel = "FILE", description = "Write here (created 0600) instead of standard output.")
  Path out;

  @Override
  public Integer call() throws Exception {
    String token;
    try {
      token = SecretToken.parse(SecretToken.Kind.ACCESS, Files.readString(tokenFile)).reveal();
    } catch (IOException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "cannot read the token file " + tokenFile + ": " + e.getMessage());
    } catch (MalformedTokenException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), tokenFile + " does not hold an access token: " + e.getMessage());
    }
    if (!server.startsWith("https://")) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--server must be an https:// URL (the proxy only speaks TLS)");
    }
    Optional<String> ca = caFile == null ? Optional.empty() : Optional.of(Files.readString(caFile, StandardCharsets.US_ASCII));
    Optional<String> defaultNamespace = namespace != null ? Optional.of(namespace) : askedNamespace(token, ca);
    String yaml = ProxyKubeconfig.yaml(agent, token, server, ca, defaultNamespace);
    String name = "tether-" + agent;
    if (out == null) {
      spec.commandLine().getOut().print(yaml);
    } else {
      Files.deleteIfExists(out);
      Files.writeString(Files.createFile(out, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
          java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"))), yaml, StandardCharsets.UTF_8);
      spec.commandLine().getOut().println("Wrote " + out + " (context " + name + ").");
    }
    return 0;
  }

  /** The default_namespace of the ci_access entry that lets the token in, as the proxy answers it. */
  private Optional<String> askedNamespace(String token, Optional<String> ca) throws Exception {
    URI access = URI.create(server.replaceAll("/+$", "") + ProxyKubeconfig.ACCESS_PATH);
    HttpClient.Builder client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
    if (ca.isPresent()) {
      client.sslContext(CaTrust.sslContext(ca.get()));
    }
    HttpResponse<String> response;
    try {
      response = client.build().send(HttpRequest.newBuilder(access).timeout(Duration.ofSeconds(20))
          .header("Authorization", "Bearer " + agent + ":" + token).GET().build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      spec.commandLine().getErr().println("Could not ask " + access + " for the default namespace (" + e
          + "); writing the kubeconfig without one.");
      return Optional.empty();
    }
    JsonNode body;
    try {
      body = JSON.readTree(response.body());
    } catch (IOException notJson) {
      body = JSON.createObjectNode().put("message", response.body());
    }
    if (response.statusCode() != 200) {
      throw new IllegalStateException("the proxy at " + server + " refused this token for agent '" + agent + "' (HTTP "
          + response.statusCode() + "): " + body.path("message").asText(response.body()));
    }
    return Optional.ofNullable(body.path("default_namespace").textValue());
  }
}
