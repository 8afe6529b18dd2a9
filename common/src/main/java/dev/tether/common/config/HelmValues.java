package dev.tether.common.config;

/** One item of a Helm source's {@code values}: a map written in the configuration, or a values file of the project. */
public sealed interface HelmValues permits HelmValues.Inline, HelmValues.File {

  /** @param yaml the map as YAML text, as the configuration gave it (it may hold secrets: never log it) */
  record Inline(String yaml) implements HelmValues {
    @Override
    public String toString() {
      // Values may hold passwords; a record's toString would print them wherever the source is printed.
      return "Inline[" + yaml.length() + " characters]";
    }
  }

  /** @param path a values file of the chart's project, relative to the project root */
  record File(String path) implements HelmValues {}
}
