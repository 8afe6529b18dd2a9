package dev.tether.agent.connection;

import io.grpc.CallCredentials;
import io.grpc.Channel;
import io.grpc.stub.AbstractStub;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One established connection to the server, as features see it: they open their streams with
 * {@link #stub}, and report a broken stream with {@link #fail}, which ends the session so that
 * every stream is opened again on the next one.
 */
public final class Session {
  private final Channel channel;
  private final CallCredentials credentials;
  private final String agentName;
  private final String connectionId;
  private final Consumer<Throwable> failure;

  Session(Channel channel, CallCredentials credentials, String agentName, String connectionId, Consumer<Throwable> failure) {
    this.channel = channel;
    this.credentials = credentials;
    this.agentName = agentName;
    this.connectionId = connectionId;
    this.failure = failure;
  }

  /** A stub on this connection that carries the agent's token. */
  public <S extends AbstractStub<S>> S stub(Function<Channel, S> factory) {
    return factory.apply(channel).withCallCredentials(credentials);
  }

  public String agentName() {
    return agentName;
  }

  public String connectionId() {
    return connectionId;
  }

  public void fail(Throwable cause) {
    failure.accept(cause);
  }
}
