package dev.tether.agent.connection;

/** A feature's streams, opened on each new session. */
public interface SessionStreams {
  /**
   * Opens the feature's streams on a new session.
   *
   * @return closed when the session ends; it cancels the streams
   */
  AutoCloseable open(Session session);
}
