package dev.wsmanager;

import okio.ByteString;

/**
 * Receives a stream's events. Every method does nothing by default; override the ones you need.
 *
 * <p>Message callbacks run on the connection's reader thread, in the order the server sent them.
 * Lifecycle callbacks ({@link #onStateChange}, {@link #onOpen}, {@link #onFailure}, {@link
 * #onGaveUp}, {@link #onClosed}) for one stream are delivered in order, one at a time, and never
 * while the manager holds a lock. A callback that throws is logged and counted in {@code
 * ws_manager_listener_errors_total}; the stream carries on.
 *
 * <p>{@link #onGaveUp} and {@link #onClosed} are terminal and each fires at most once per stream.
 */
public interface StreamListener {
  /** A shared listener that ignores every event. */
  StreamListener NONE = new StreamListener() {};

  /**
   * A connection opened and the stream's subscribe messages were sent.
   *
   * @param stream the stream
   */
  default void onOpen(ManagedStream stream) {}

  /**
   * A text message arrived.
   *
   * @param stream the stream
   * @param text the message
   */
  default void onText(ManagedStream stream, String text) {}

  /**
   * A binary message arrived.
   *
   * @param stream the stream
   * @param bytes the message
   */
  default void onBinary(ManagedStream stream, ByteString bytes) {}

  /**
   * The stream moved from one state to another.
   *
   * @param stream the stream
   * @param from the previous state
   * @param to the new state
   */
  default void onStateChange(ManagedStream stream, StreamState from, StreamState to) {}

  /**
   * A connection attempt failed or an open connection ended abnormally. The stream will reconnect
   * unless {@link #onGaveUp} follows.
   *
   * @param stream the stream
   * @param reason the classified reason
   * @param cause what OkHttp reported, or a description of the timeout; URLs in it are redacted
   */
  default void onFailure(ManagedStream stream, FailureReason reason, Throwable cause) {}

  /**
   * The stream entered {@link StreamState#FAILED} and will not reconnect.
   *
   * @param stream the stream
   * @param reason the reason of the last failure
   * @param cause the last failure's cause
   */
  default void onGaveUp(ManagedStream stream, FailureReason reason, Throwable cause) {}

  /**
   * The stream reached {@link StreamState#CLOSED} and was removed from its manager.
   *
   * @param stream the stream
   */
  default void onClosed(ManagedStream stream) {}
}
