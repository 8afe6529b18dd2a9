package dev.tether.server.store;

import java.time.Instant;
import java.util.Optional;

/** A registered agent: its name and the project its configuration is read from. */
public record Agent(String name, String configProjectId, Instant createdAt, Optional<Instant> lastSeenAt) {}
