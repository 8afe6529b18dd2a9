package dev.tether.cli;

import dev.tether.server.ServerSettings;
import dev.tether.server.TetherServer;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "server",
    mixinStandardHelpOptions = true,
    description = "Runs the Tether server until it is stopped (Ctrl-C or SIGTERM).",
    footer = {
        "",
        "Examples:",
        "  tether server                                  # HTTP on 127.0.0.1:8080, state in ./tether-data",
        "  tether server --http-address 0.0.0.0:8080 --data-dir /var/lib/tether"
    })
final class ServerCommand implements Callable<Integer> {

  @Option(names = "--http-address", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8080",
      converter = HostPortConverter.class,
      description = "Where the HTTP API listens (default: ${DEFAULT-VALUE}). Port 0 picks a free port.")
  InetSocketAddress httpAddress;

  @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "tether-data",
      description = "Folder for the server's state (default: ${DEFAULT-VALUE}).")
  Path dataDir;

  @Override
  public Integer call() throws Exception {
    CountDownLatch stopped = new CountDownLatch(1);
    TetherServer server = new TetherServer(new ServerSettings(httpAddress, dataDir)).start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "tether-server-shutdown"));
    stopped.await();
    return 0;
  }
}
