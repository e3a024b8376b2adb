package dev.wsmanager;

import java.util.concurrent.CompletionStage;
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
   * @return {@code true} if queued; {@code false} if the stream is not {@link StreamState#OPEN}
   *     ({@code not_open}), the connection's outbound queue would exceed the stream's limit ({@code
   *     queue_full}), or the message alone is larger than that limit and can never be sent ({@code
   *     too_large}, also logged). Each {@code false} is counted by that reason in {@code
   *     ws_manager_sends_rejected_total}. Nothing is buffered for a later connection.
   * @throws NullPointerException if {@code text} is null
   */
  boolean send(String text);

  /**
   * Queues a binary message on the current connection.
   *
   * @param bytes the message
   * @return {@code true} if queued; {@code false} as for {@link #send(String)}
   * @throws NullPointerException if {@code bytes} is null
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
   * server's reply, then cancels the connection. Idempotent; returns without waiting. The id stays
   * taken until the stream is {@link StreamState#CLOSED}; use {@link #closeAsync()} to know when.
   */
  @Override
  void close();

  /**
   * Closes the stream like {@link #close()} and says when it is done.
   *
   * @return completes once the stream is {@link StreamState#CLOSED}: its socket is closed and its
   *     id is free for a new stream. At the latest after the manager's close timeout. Completes
   *     whether or not the listener's {@code onClosed} has run yet (callbacks are delivered on
   *     their own thread).
   */
  CompletionStage<Void> closeAsync();
}
