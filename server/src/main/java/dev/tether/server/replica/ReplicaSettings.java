package dev.tether.server.replica;

import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * How a replica (a server on PostgreSQL) takes internal traffic from the other replicas.
 *
 * @param listen where its internal listener binds; port 0 picks a free port
 * @param advertise the host:port other replicas dial; empty means the listen address with the port bound,
 *     which serves replicas on one machine
 */
public record ReplicaSettings(InetSocketAddress listen, Optional<String> advertise) {
  /** Replicas on one machine: loopback, a free port. */
  public static final ReplicaSettings DEFAULT = new ReplicaSettings(new InetSocketAddress("127.0.0.1", 0), Optional.empty());

  /** The address to publish, given the port the listener bound. */
  public String advertised(int boundPort) {
    return advertise.orElseGet(() -> {
      String host = listen.getHostString();
      if (host.equals("0.0.0.0") || host.equals("::")) {
        throw new IllegalArgumentException("--replica-listen " + host + ":" + listen.getPort() + " binds every address: give "
            + "--replica-address HOST:PORT, the address the other replicas reach this one at");
      }
      return (host.contains(":") ? "[" + host + "]" : host) + ":" + boundPort;
    });
  }

  /** The host in {@link #advertised}, for the internal certificate's names. */
  public String advertisedHost(int boundPort) {
    String address = advertised(boundPort);
    String host = address.substring(0, address.lastIndexOf(':'));
    return host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
  }
}
