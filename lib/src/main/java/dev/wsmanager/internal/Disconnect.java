package dev.wsmanager.internal;

import dev.wsmanager.FailureReason;

/**
 * Why a connection ended and what the stream does about it.
 *
 * @param reason the failure reason, or {@code null} for a normal server close (1000 or 1001)
 * @param cause what OkHttp reported, or a description of our own timeout
 * @param fatal whether the stream gives up at once instead of reconnecting
 * @param retryAfterMillis the least the next attempt waits, as the server asked (0 when it did not)
 * @param cancelSocket whether to cancel the socket: false only when the server closed cleanly and
 *     OkHttp is finishing the close handshake
 */
record Disconnect(
    FailureReason reason,
    Throwable cause,
    boolean fatal,
    long retryAfterMillis,
    boolean cancelSocket) {

  /** OkHttp reported the failure; it closes the socket only after telling us, so we do first. */
  static Disconnect failed(FailureReason reason, Throwable cause) {
    return new Disconnect(reason, cause, false, 0, true);
  }

  /** One of the loop's own timers gave up on a connection that is still up. */
  static Disconnect timedOut(FailureReason reason, Throwable cause) {
    return new Disconnect(reason, cause, false, 0, true);
  }

  /**
   * The server sent a close frame; OkHttp answers it and closes the socket.
   *
   * @param reason null for a normal close (1000 or 1001), else {@link
   *     FailureReason#CLOSED_BY_SERVER}
   */
  static Disconnect serverClosed(FailureReason reason, Throwable cause) {
    return new Disconnect(reason, cause, false, 0, false);
  }

  /** The handshake was answered with an HTTP status. */
  static Disconnect rejected(Throwable cause, boolean fatal, long retryAfterMillis) {
    return new Disconnect(FailureReason.HANDSHAKE_REJECTED, cause, fatal, retryAfterMillis, true);
  }
}
