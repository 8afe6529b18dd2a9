package dev.tether.server.observability;

import dev.tether.common.metrics.PrometheusMetrics;
import dev.tether.server.ServerContext;
import dev.tether.server.ServerModule;

/** Liveness and metrics: {@code /healthz} and {@code /metrics} (Prometheus text) on the HTTP listener, without the admin token. */
public final class ObservabilityModule implements ServerModule {
  public ObservabilityModule(ServerContext context) {
    PrometheusMetrics metrics = context.metrics();
    context.httpListener().add(cfg -> {
      cfg.routes.get("/healthz", ctx -> ctx.result("ok"));
      cfg.routes.get("/metrics", ctx -> ctx.contentType(PrometheusMetrics.CONTENT_TYPE).result(metrics.scrape()));
    });
  }

  @Override
  public String name() {
    return "observability";
  }
}
