package dev.wsmanager;

import okio.ByteString;

/**
 * Receives a stream's events. Every method does nothing by default; override the ones you need.
 *
 * <h2>Which thread runs what</h2>
 *
 * <ul>
 *   <li><b>Messages</b> ({@link #onText}, {@link #onBinary}) run on the connection's OkHttp reader
 *       thread, in the order the server sent them, one at a time. While one runs, the connection
 *       reads nothing, pongs included: a callback that blocks longer than the stream's idle timeout
 *       or ping interval gets the connection failed as {@link FailureReason#LISTENER_STALLED}, and
 *       the stream reconnects only after the callback has returned. With {@link
 *       StreamSpec.Builder#queuedDelivery queued delivery} messages run on the manager's callback
 *       threads instead, like lifecycle callbacks, and the reader thread never waits for them.
 *   <li><b>Lifecycle callbacks</b> ({@link #onStateChange}, {@link #onOpen}, {@link #onFailure},
 *       {@link #onGaveUp}, {@link #onClosed}) run on the manager's callback threads ({@code
 *       ws-manager-<name>-callback-N}, or virtual threads with {@code virtualThreads(true)}): for
 *       one stream in the order of its transitions and one at a time, for different streams
 *       independently. They never run on the manager's timer thread, never on the thread that
 *       caused them (so {@link ManagedStream#close()} and {@link WsManager#close()} do not wait for
 *       them) and never while the manager holds a lock. A callback that blocks delays only its own
 *       stream's later callbacks: no timer, no other stream.
 * </ul>
 *
 * <p>Callbacks are delivered after the fact: by the time {@link #onStateChange} runs the stream may
 * have moved on; {@link ManagedStream#state()} is the current state. A callback that throws is
 * logged and counted in {@code ws_manager_listener_errors_total}; the stream carries on.
 *
 * <p>{@link #onGaveUp} and {@link #onClosed} are terminal and each fires at most once per stream.
 * When the manager closes, callbacks still pending are delivered within its close timeout; a
 * callback still running after it is interrupted, and callbacks not yet started are dropped.
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
