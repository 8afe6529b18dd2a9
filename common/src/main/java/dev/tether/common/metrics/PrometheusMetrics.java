package dev.tether.common.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The meters of one program (server or agent), with the JVM's own, ready to be scraped as
 * Prometheus text. Features take the {@link MeterRegistry} and register their meters themselves.
 */
public final class PrometheusMetrics implements AutoCloseable {
  /** What Prometheus asks for; the text format 0.0.4 every scraper reads. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  /** Histogram buckets for work that takes seconds to minutes: Git fetches, syncs. */
  public static final Duration[] WORK_BUCKETS = seconds(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300);
  /** Histogram buckets for requests that take milliseconds: proxied Kubernetes API calls. */
  public static final Duration[] REQUEST_BUCKETS = seconds(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60);

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final JvmGcMetrics gc = new JvmGcMetrics();

  public PrometheusMetrics(String program) {
    registry.config().commonTags("program", program);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    gc.bindTo(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** Every meter, in the Prometheus text format. */
  public String scrape() {
    return registry.scrape();
  }

  private static Duration[] seconds(double... values) {
    Duration[] buckets = new Duration[values.length];
    for (int i = 0; i < values.length; i++) {
      buckets[i] = Duration.ofNanos(Math.round(values[i] * 1e9));
    }
    return buckets;
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
