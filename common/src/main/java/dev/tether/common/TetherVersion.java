package dev.tether.common;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The version of this Tether build, as the Maven build stamped it. */
public final class TetherVersion {
  private static final String VERSION = load();

  private TetherVersion() {}

  public static String get() {
    return VERSION;
  }

  private static String load() {
    try (InputStream in = TetherVersion.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read Tether's version resource", e);
    }
  }
}
