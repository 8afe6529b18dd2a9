package dev.tether.cli.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import picocli.CommandLine.Option;

/** {@code -o table|json} and the small formatting helpers of listings. */
final class Output {
  enum Format { TABLE, JSON }

  @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
      description = "table or json (default: ${DEFAULT-VALUE}).")
  Format format;

  boolean json() {
    return format == Format.JSON;
  }

  /** With {@code -o json}, prints the answer as it came and says so; the caller then prints nothing else. */
  boolean printedAsJson(java.io.PrintWriter out, JsonNode answer) {
    if (json()) {
      out.println(pretty(answer));
    }
    return json();
  }

  static String pretty(JsonNode node) {
    try {
      return AdminClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value == null || value.isNull() || value.asText().isEmpty() ? "-" : value.asText();
  }

  static String shortCommit(String commit) {
    return commit == null || commit.equals("-") ? "-" : commit.substring(0, Math.min(12, commit.length()));
  }

  /** "5s ago", "3m ago", "2h ago", "4d ago", or "-". */
  static String ago(JsonNode node, String field) {
    String text = text(node, field);
    if (text.equals("-")) {
      return "-";
    }
    try {
      Duration d = Duration.between(Instant.parse(text), Instant.now());
      if (d.toSeconds() < 120) {
        return Math.max(0, d.toSeconds()) + "s ago";
      }
      if (d.toMinutes() < 120) {
        return d.toMinutes() + "m ago";
      }
      if (d.toHours() < 48) {
        return d.toHours() + "h ago";
      }
      return d.toDays() + "d ago";
    } catch (DateTimeParseException e) {
      return text;
    }
  }
}
