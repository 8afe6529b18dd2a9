package dev.tether.server.replica;

/** The listener where other replicas reach this one, as the module that serves it offers it: its port once bound. */
@FunctionalInterface
public interface ReplicaEndpoint {
  int boundPort();
}
