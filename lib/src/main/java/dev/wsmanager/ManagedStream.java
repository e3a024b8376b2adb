package dev.wsmanager;

import okio.ByteString;

/**
 * The handle to a stream opened by {@link WsManager#open(StreamSpec)}. It outlives individual
 * connections: the manager reconnects underneath it until it is closed or gives up.
 *
 * <p>Thread-safe.
 */
public interface ManagedStream extends AutoCloseable {
  /**
   * The id given in the stream's {@link StreamSpec}.
   *
   * @return the stream id
   */
  String id();

  /**
   * The current state.
   *
   * @return the state
   */
  StreamState state();

  /**
   * Queues a text message on the current connection.
   *
   * @param text the message
   * @return {@code true} if queued; {@code false} if the stream is not {@link StreamState#OPEN} or
   *     the connection's outbound queue would exceed the stream's limit. Nothing is buffered for a
   *     later connection.
   */
  boolean send(String text);

  /**
   * Queues a binary message on the current connection.
   *
   * @param bytes the message
   * @return {@code true} if queued; {@code false} if the stream is not open or its outbound queue
   *     is full
   */
  boolean send(ByteString bytes);

  /**
   * Bytes queued on the current connection and not yet written to the socket.
   *
   * @return queued bytes, 0 when not connected
   */
  long queuedBytes();

  /**
   * A consistent, read-only view of the stream for logs, JSON and tests.
   *
   * @return the snapshot
   */
  StreamSnapshot snapshot();

  /**
   * Closes the stream: sends a 1000 close frame, waits up to the manager's close timeout for the
   * server's reply, then cancels the connection. Idempotent; returns without waiting.
   */
  @Override
  void close();
}
