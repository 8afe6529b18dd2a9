package dev.tether.cli;

import dev.tether.common.config.InvalidConfigException;
import dev.tether.common.config.OidcIssuer;
import dev.tether.common.config.OidcIssuersParser;
import dev.tether.server.ServerSettings;
import dev.tether.server.TetherServer;
import dev.tether.server.connection.AgentConnectRates;
import dev.tether.server.kubeproxy.ProxyRequestRate;
import dev.tether.server.git.GitUrlPolicy;
import dev.tether.server.replica.ReplicaSettings;
import dev.tether.server.store.DatabaseSettings;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "server",
    mixinStandardHelpOptions = true,
    description = {
        "Runs the Tether server until it is stopped (Ctrl-C or SIGTERM).",
        "Agents connect to its agent listener (gRPC over TLS); administrators and webhooks use its HTTP listener; CI jobs and people run kubectl against its "
            + "Kubernetes API proxy (HTTPS).",
        "On first start it writes an admin token to <data-dir>/admin-token for the `tether admin` commands."
    },
    footer = {
        "",
        "Examples:",
        "  # try it out: a development CA and certificate are made in the data dir,",
        "  # and projects may be folders on this machine",
        "  tether server --dev-tls --allow-local-git-paths",
        "",
        "  # production: your certificate, agents dial tether.example.com:8443",
        "  tether server --agent-address 0.0.0.0:8443 \\",
        "      --tls-cert-file /etc/tether/tls.crt --tls-key-file /etc/tether/tls.key \\",
        "      --data-dir /var/lib/tether",
        "",
        "  # state in PostgreSQL, the password from a file (or TETHER_DATABASE_PASSWORD)",
        "  tether server --dev-tls \\",
        "      --database-url jdbc:postgresql://db.example.com:5432/tether \\",
        "      --database-user tether --database-password-file /etc/tether/db-password",
        "",
        "  # one of several replicas on one PostgreSQL database, on its own machine",
        "  tether server --tls-cert-file tls.crt --tls-key-file tls.key \\",
        "      --database-url jdbc:postgresql://db.example.com:5432/tether \\",
        "      --replica-listen 0.0.0.0:8445 --replica-address 10.0.0.11:8445",
        "",
        "  # projects only on your Git host over HTTPS, or on a mirror in the office",
        "  tether server --dev-tls --allow-git-url https://git.example.com \\",
        "      --allow-git-url 10.20.0.0/16"
    })
final class ServerCommand implements Callable<Integer> {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--http-address", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8080",
      converter = HostPortConverter.class,
      description = "Where the HTTP API listens (default: ${DEFAULT-VALUE}). Port 0 picks a free port.")
  InetSocketAddress httpAddress;

  @Option(names = "--agent-address", paramLabel = "HOST:PORT", defaultValue = "0.0.0.0:8443",
      converter = HostPortConverter.class,
      description = "Where agents connect, over TLS (default: ${DEFAULT-VALUE}).")
  InetSocketAddress agentAddress;

  @Option(names = "--kube-proxy-address", paramLabel = "HOST:PORT", defaultValue = "0.0.0.0:8444",
      converter = HostPortConverter.class,
      description = "Where the Kubernetes API proxy listens, over TLS with the agent listener's certificate (default: ${DEFAULT-VALUE}).")
  InetSocketAddress kubeProxyAddress;

  @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "tether-data",
      description = "Folder for the server's state: database, Git mirrors, keys (default: ${DEFAULT-VALUE}). Back it up.")
  Path dataDir;

  @Option(names = "--tls-cert-file", paramLabel = "FILE", description = "PEM certificate (chain) for the agent listener.")
  Path tlsCertFile;

  @Option(names = "--tls-key-file", paramLabel = "FILE", description = "Its unencrypted PKCS#8 PEM private key.")
  Path tlsKeyFile;

  @Option(names = "--dev-tls",
      description = "Make a development CA and server certificate in <data-dir>/tls instead; agents then need --ca-file <data-dir>/tls/ca.crt.")
  boolean devTls;

  @Option(names = "--dev-tls-host", paramLabel = "HOST",
      description = "A name or address agents use to reach this server, for the development certificate (repeatable; "
          + "localhost, 127.0.0.1 and this machine's host name are always included).")
  List<String> devTlsHosts = new ArrayList<>();

  @Option(names = "--poll-interval", paramLabel = "DURATION", defaultValue = "10s", converter = DurationConverter.class,
      description = "How often Git projects are fetched; push webhooks fetch at once (default: ${DEFAULT-VALUE}).")
  Duration pollInterval;

  @Option(names = "--git-timeout", paramLabel = "DURATION", defaultValue = "60s", converter = DurationConverter.class,
      description = "Longest a Git fetch may take (default: ${DEFAULT-VALUE}).")
  Duration gitTimeout;

  @Option(names = "--chart-recheck-interval", paramLabel = "DURATION", defaultValue = "5m", converter = DurationConverter.class,
      description = "How long a Helm chart repository's index.yaml or an OCI registry's tag list is used before the server asks "
          + "again: a version range picks up a newly published chart at the first poll after that (default: ${DEFAULT-VALUE}).")
  Duration chartRecheckInterval;

  @Option(names = "--agent-connect-rate-per-token", paramLabel = "N", defaultValue = "10",
      description = "Connections a minute (in bursts of as many) one agent token may open; more are refused with RESOURCE_EXHAUSTED "
          + "and the agent waits as told. 0: no limit (default: ${DEFAULT-VALUE}).")
  int agentConnectRatePerToken;

  @Option(names = "--proxy-requests-per-token", paramLabel = "N", defaultValue = "50",
      description = "Kubernetes API requests a second one access token may send through the proxy, refilled evenly; more are "
          + "answered 429 with Retry-After, and other tokens are not affected. 0: no limit (default: ${DEFAULT-VALUE}).")
  int proxyRequestsPerToken;

  @Option(names = "--proxy-request-burst-per-token", paramLabel = "N", defaultValue = "250",
      description = "Requests one access token may send at once after a quiet spell, above --proxy-requests-per-token "
          + "(default: ${DEFAULT-VALUE}).")
  int proxyRequestBurstPerToken;

  @Option(names = "--oidc-issuers-file", paramLabel = "FILE",
      description = "YAML file of the OIDC issuers (GitLab, GitHub Actions, ...) whose id tokens CI jobs may present at the "
          + "Kubernetes API proxy instead of an access token: per issuer its URL (issuer), the audience its tokens must carry "
          + "and optionally a jwks_file; otherwise its keys are discovered from the issuer URL under the --allow-git-url rules. "
          + "See docs/configuration.md (default: none, so no id tokens are accepted).")
  Path oidcIssuersFile;

  @Option(names = "--agent-refusal-rate-per-address", paramLabel = "N", defaultValue = "30",
      description = "Unknown, revoked or malformed agent tokens a minute (in bursts of as many) one source address may send; past "
          + "that, its connections are refused with RESOURCE_EXHAUSTED before their token is looked at. 0: no limit "
          + "(default: ${DEFAULT-VALUE}).")
  int agentRefusalRatePerAddress;

  @Option(names = GitUrlPolicy.RULE_OPTION, paramLabel = "RULE", split = ",", defaultValue = "https://*,ssh://*,http://*,git://*",
      description = "Which Git URLs projects may use: SCHEME://HOST[:PORT] (HOST a name, an IP address, * or *.example.com) "
          + "or an IP network (10.0.0.0/8, 192.0.2.7, fd00::/8) for any scheme. Loopback, link-local and cloud metadata "
          + "addresses are reached only through a rule that names them (127.0.0.1, 169.254.0.0/16), never through a name "
          + "or *. Helm chart repositories and OCI registries (their index, archive and token URLs and every redirect) are "
          + "checked against the same rules as https:// or http:// URLs. Repeatable; replaces the default (default: ${DEFAULT-VALUE}).")
  List<String> allowedGitUrls;

  @Option(names = GitUrlPolicy.LOCAL_PATHS_OPTION,
      description = "Let projects use local paths and file:// URLs, repositories on the server's own disk (off by default: "
          + "whoever can add a project could read any repository the server's user can).")
  boolean allowLocalGitPaths;

  @Option(names = "--kustomize-path", paramLabel = "FILE",
      description = "The kustomize program that renders Kustomize sources (default: the first kustomize on PATH). "
          + "It runs without plugins, exec functions or Helm, on a private copy of the overlay's files.")
  Path kustomizePath;

  @Option(names = "--database-url", paramLabel = "JDBC_URL",
      description = "Keep the server's state in this PostgreSQL database, jdbc:postgresql://HOST[:PORT]/DATABASE[?PARAM=VALUE&...], "
          + "instead of the embedded H2 database in the data dir. It must not carry the user or password. The data dir still "
          + "holds the key that seals project credentials, the Git mirrors and the admin token. Any number of servers (replicas) "
          + "may share one database; give them all the same secret.key and admin-token files in their data dirs.")
  String databaseUrl;

  @Option(names = "--database-user", paramLabel = "USER", defaultValue = "${env:TETHER_DATABASE_USER:-tether}",
      description = "The PostgreSQL user (default: $TETHER_DATABASE_USER, else tether).")
  String databaseUser;

  @Option(names = "--database-password-file", paramLabel = "FILE",
      description = "File whose first line is the PostgreSQL user's password (default: $TETHER_DATABASE_PASSWORD when set, else "
          + "none, for PostgreSQL that needs no password or a ~/.pgpass file).")
  Path databasePasswordFile;

  @Option(names = "--replica-listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:0", converter = HostPortConverter.class,
      description = "With --database-url: where this replica takes kubectl requests that other replicas of this server forward to it "
          + "for agents connected here (TLS with a certificate it makes at start, and only for callers with a replica's credential). "
          + "Port 0 picks a free port (default: ${DEFAULT-VALUE}, for replicas on one machine).")
  InetSocketAddress replicaListen;

  @Option(names = "--replica-address", paramLabel = "HOST:PORT",
      description = "With --database-url: the address the other replicas reach --replica-listen at, published in the database "
          + "(default: the --replica-listen address with the port it bound; needed when that is 0.0.0.0 or behind NAT).")
  String replicaAddress;

  @Override
  public Integer call() throws Exception {
    if ((tlsCertFile == null) != (tlsKeyFile == null)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--tls-cert-file and --tls-key-file go together");
    }
    if (tlsCertFile == null && !devTls) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "the agent listener needs TLS: give --tls-cert-file and --tls-key-file, or --dev-tls for a development certificate");
    }
    if (tlsCertFile != null && devTls) {
      throw new CommandLine.ParameterException(spec.commandLine(), "choose either --dev-tls or --tls-cert-file/--tls-key-file");
    }
    if (agentConnectRatePerToken < 0 || agentRefusalRatePerAddress < 0) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--agent-connect-rate-per-token and --agent-refusal-rate-per-address are a number a minute: 0 (no limit) or more");
    }
    ProxyRequestRate proxyRate;
    try {
      proxyRate = new ProxyRequestRate(proxyRequestsPerToken, proxyRequestBurstPerToken);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--proxy-requests-per-token and "
          + "--proxy-request-burst-per-token: " + e.getMessage());
    }
    List<String> hosts = new ArrayList<>(List.of("localhost", "127.0.0.1"));
    try {
      hosts.add(InetAddress.getLocalHost().getHostName());
    } catch (UnknownHostException e) {
      // no host name to add
    }
    devTlsHosts.forEach(h -> {
      if (!hosts.contains(h)) {
        hosts.add(h);
      }
    });
    GitUrlPolicy gitUrls;
    try {
      gitUrls = GitUrlPolicy.of(allowedGitUrls, allowLocalGitPaths);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), GitUrlPolicy.RULE_OPTION + ": " + e.getMessage());
    }
    ServerSettings settings = new ServerSettings(httpAddress, agentAddress, kubeProxyAddress, dataDir, Optional.ofNullable(tlsCertFile),
        Optional.ofNullable(tlsKeyFile), hosts, pollInterval, gitTimeout,
        new AgentConnectRates(agentConnectRatePerToken, agentRefusalRatePerAddress), gitUrls, Optional.ofNullable(kustomizePath),
        databaseSettings(), proxyRate, replicaSettings(), chartRecheckInterval, oidcIssuers());
    return UntilStopped.run(new TetherServer(settings).start(), "tether-server");
  }

  private List<OidcIssuer> oidcIssuers() {
    if (oidcIssuersFile == null) {
      return List.of();
    }
    try {
      return OidcIssuersParser.parse(oidcIssuersFile.toString(), Files.readAllBytes(oidcIssuersFile));
    } catch (IOException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--oidc-issuers-file: cannot read " + oidcIssuersFile + ": "
          + e.getMessage());
    } catch (InvalidConfigException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--oidc-issuers-file " + oidcIssuersFile
          + " is not valid; fix it:\n" + e.getMessage());
    }
  }

  private ReplicaSettings replicaSettings() {
    if (databaseUrl == null && (replicaAddress != null || spec.commandLine().getParseResult().hasMatchedOption("--replica-listen"))) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--replica-listen and --replica-address go with --database-url: "
          + "replicas share a PostgreSQL database, and a server on its embedded database is alone");
    }
    if (replicaAddress != null) {
      int colon = replicaAddress.lastIndexOf(':');
      if (colon <= 0 || !replicaAddress.substring(colon + 1).matches("[0-9]{1,5}")) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--replica-address must be HOST:PORT, as the other replicas "
            + "dial it; got '" + replicaAddress + "'");
      }
    }
    ReplicaSettings settings = new ReplicaSettings(replicaListen, Optional.ofNullable(replicaAddress));
    try {
      settings.advertised(replicaListen.getPort());
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    return settings;
  }

  private DatabaseSettings databaseSettings() {
    if (databaseUrl == null) {
      if (databasePasswordFile != null || spec.commandLine().getParseResult().hasMatchedOption("--database-user")) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--database-user and --database-password-file go with --database-url; without it the server uses its embedded database");
      }
      return new DatabaseSettings.Embedded();
    }
    try {
      return new DatabaseSettings.Postgres(databaseUrl, databaseUser, databasePassword());
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  /** From the file if one is named, else from the environment: never from the command line, where process listings show it. */
  private Optional<String> databasePassword() {
    if (databasePasswordFile == null) {
      return Optional.ofNullable(System.getenv("TETHER_DATABASE_PASSWORD")).filter(p -> !p.isEmpty());
    }
    String firstLine;
    try {
      firstLine = Files.readAllLines(databasePasswordFile).stream().findFirst().orElse("");
    } catch (IOException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "cannot read --database-password-file " + databasePasswordFile
          + ": " + e.getMessage() + "; give a file this user may read, or set TETHER_DATABASE_PASSWORD instead");
    }
    if (firstLine.isEmpty()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--database-password-file " + databasePasswordFile
          + " is empty: write the password on its first line");
    }
    return Optional.of(firstLine);
  }
}
