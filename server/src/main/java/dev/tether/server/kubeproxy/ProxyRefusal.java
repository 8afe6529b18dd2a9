package dev.tether.server.kubeproxy;

/** Why a proxied request may not go ahead, as the HTTP status and message the client gets. */
final class ProxyRefusal extends Exception {
  private final int status;

  ProxyRefusal(int status, String message) {
    super(message);
    this.status = status;
  }

  int status() {
    return status;
  }
}
