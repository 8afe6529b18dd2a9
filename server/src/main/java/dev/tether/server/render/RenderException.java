package dev.tether.server.render;

/** A source that cannot be rendered; the message names the file and field, or what the renderer said. */
public final class RenderException extends Exception {
  public RenderException(String message) {
    super(message);
  }
}
