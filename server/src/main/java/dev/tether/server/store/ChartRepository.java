package dev.tether.server.store;

import dev.tether.server.charts.ChartCredentials;
import java.time.Instant;

/** A chart repository or OCI registry the server holds credentials for; {@code url} without a trailing slash. */
public record ChartRepository(String url, ChartCredentials credentials, Instant createdAt) {}
