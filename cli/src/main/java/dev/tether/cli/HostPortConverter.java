package dev.tether.cli;

import java.net.InetSocketAddress;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads `host:port` (or `[ipv6]:port`) without resolving the host, so errors name what was typed. */
final class HostPortConverter implements ITypeConverter<InetSocketAddress> {
  @Override
  public InetSocketAddress convert(String value) {
    int colon = value.lastIndexOf(':');
    if (colon <= 0 || colon == value.length() - 1) {
      throw new TypeConversionException("'" + value + "' is not HOST:PORT, for example 127.0.0.1:8080");
    }
    String host = value.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(value.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new TypeConversionException("'" + value + "' has no numeric port, for example 127.0.0.1:8080");
    }
    if (port < 0 || port > 65535) {
      throw new TypeConversionException("port " + port + " in '" + value + "' is outside 0-65535");
    }
    return InetSocketAddress.createUnresolved(host, port);
  }
}
