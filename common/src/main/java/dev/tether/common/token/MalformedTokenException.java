package dev.tether.common.token;

/** A presented token that cannot be a Tether token at all; the message never contains the token. */
public final class MalformedTokenException extends Exception {
  public MalformedTokenException(String message) {
    super(message);
  }
}
