package dev.tether.server;

import java.net.InetSocketAddress;
import java.nio.file.Path;

/** Where the server listens and keeps its state. */
public record ServerSettings(InetSocketAddress httpAddress, Path dataDir) {}
