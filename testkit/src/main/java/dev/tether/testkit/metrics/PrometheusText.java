package dev.tether.testkit.metrics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A scrape of a /metrics page, read as Prometheus reads the text format: series → value. */
public final class PrometheusText {
  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})?\\s+(\\S+)");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  private final String text;
  private final Map<String, Double> samples = new LinkedHashMap<>();

  private PrometheusText(String text) {
    this.text = text;
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher m = SAMPLE.matcher(line);
      if (!m.find()) {
        throw new AssertionError("not a Prometheus sample line: " + line);
      }
      samples.put(m.group(1) + (m.group(2) == null ? "" : m.group(2)), Double.parseDouble(m.group(3)));
    }
  }

  /** Scrapes {@code url}, checking the answer's status and content type. */
  public static PrometheusText scrape(String url) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build();
    try {
      HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new AssertionError("GET " + url + " answered " + response.statusCode() + ": " + response.body());
      }
      String type = response.headers().firstValue("Content-Type").orElse("");
      if (!type.startsWith("text/plain")) {
        throw new AssertionError("GET " + url + " answered Content-Type '" + type + "', not Prometheus text");
      }
      return new PrometheusText(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException("GET " + url + " failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The sum of every series of {@code name} whose labels include all of {@code labels} (name, value pairs). */
  public double sum(String name, String... labels) {
    OptionalDouble total = find(name, labels);
    if (total.isEmpty()) {
      throw new AssertionError("no series " + name + " with labels " + String.join(",", labels) + " in:\n" + text);
    }
    return total.getAsDouble();
  }

  /** As {@link #sum}, or 0 where no such series is exported yet (a timer or counter not used since the start). */
  public double sumOrZero(String name, String... labels) {
    return find(name, labels).orElse(0);
  }

  private OptionalDouble find(String name, String... labels) {
    double total = 0;
    boolean found = false;
    for (Map.Entry<String, Double> sample : samples.entrySet()) {
      String series = sample.getKey();
      int brace = series.indexOf('{');
      String metric = brace < 0 ? series : series.substring(0, brace);
      if (!metric.equals(name)) {
        continue;
      }
      Map<String, String> have = new LinkedHashMap<>();
      if (brace >= 0) {
        Matcher m = LABEL.matcher(series.substring(brace));
        while (m.find()) {
          have.put(m.group(1), m.group(2));
        }
      }
      boolean matches = true;
      for (int i = 0; i + 1 < labels.length; i += 2) {
        matches &= labels[i + 1].equals(have.get(labels[i]));
      }
      if (matches) {
        total += sample.getValue();
        found = true;
      }
    }
    return found ? OptionalDouble.of(total) : OptionalDouble.empty();
  }

  public String text() {
    return text;
  }
}
