package dev.tether.cli;

import dev.tether.server.ServerSettings;
import dev.tether.server.TetherServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
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
        "  # try it out: a development CA and certificate are made in the data dir",
        "  tether server --dev-tls",
        "",
        "  # production: your certificate, agents dial tether.example.com:8443",
        "  tether server --agent-address 0.0.0.0:8443 \\",
        "      --tls-cert-file /etc/tether/tls.crt --tls-key-file /etc/tether/tls.key \\",
        "      --data-dir /var/lib/tether"
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

  @Option(names = "--kustomize-path", paramLabel = "FILE",
      description = "The kustomize program that renders Kustomize sources (default: the first kustomize on PATH). "
          + "It runs without plugins, exec functions or Helm, on a private copy of the overlay's files.")
  Path kustomizePath;

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
    ServerSettings settings = new ServerSettings(httpAddress, agentAddress, kubeProxyAddress, dataDir, Optional.ofNullable(tlsCertFile),
        Optional.ofNullable(tlsKeyFile), hosts, pollInterval, gitTimeout, Optional.ofNullable(kustomizePath));
    return UntilStopped.run(new TetherServer(settings).start(), "tether-server");
  }
}
