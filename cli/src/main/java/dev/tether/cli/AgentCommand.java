package dev.tether.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "agent",
    mixinStandardHelpOptions = true,
    description = {
        "Runs the Tether agent in a cluster: dials out to the server with its token and serves its features.",
        "The agent never accepts inbound connections."
    },
    footer = {
        "",
        "Examples:",
        "  tether agent --server tether.example.com:8443 \\",
        "      --token-file /etc/tether/token --ca-file /etc/tether/ca.pem"
    })
final class AgentCommand implements Callable<Integer> {

  @Option(names = "--server", required = true, paramLabel = "HOST:PORT",
      description = "The server's agent listener.")
  String server;

  @Option(names = "--token-file", required = true, paramLabel = "FILE",
      description = "File holding the agent's token (as printed by `tether admin agent create`).")
  Path tokenFile;

  @Option(names = "--ca-file", paramLabel = "FILE",
      description = "PEM file of the CA that signed the server's certificate (default: the JVM's trusted CAs).")
  Path caFile;

  @Override
  public Integer call() {
    System.err.println("tether agent: the agent-server tunnel is not built yet; this release can only show --help.");
    return 1;
  }
}
