package dev.wsmanager.internal;

import dev.wsmanager.FailureReason;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;

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

  /** The upgrade was not answered within the connect timeout. */
  static Disconnect connectTimedOut(Duration timeout) {
    return timedOut(
        FailureReason.CONNECT_TIMEOUT,
        new SocketTimeoutException("handshake did not complete within " + timeout));
  }

  /**
   * An open connection read nothing it waited for ({@code what}: a message, a heartbeat reply)
   * within {@code timeout}. When its reader is inside a listener callback, the listener is to
   * blame, not the network: {@link FailureReason#LISTENER_STALLED}, else {@code silentReason}.
   */
  static Disconnect nothingRead(
      FailureReason silentReason, String what, Duration timeout, boolean listenerBusy) {
    return listenerBusy
        ? timedOut(
            FailureReason.LISTENER_STALLED,
            new SocketTimeoutException(
                "no "
                    + what
                    + " read within "
                    + timeout
                    + ": the listener has not returned from a message callback"))
        : timedOut(silentReason, new SocketTimeoutException("no " + what + " within " + timeout));
  }

  /** The delivery queue is full and its policy is to disconnect. */
  static Disconnect queueFull(int capacity) {
    return failed(
        FailureReason.LISTENER_STALLED,
        new IOException(
            "delivery queue full ("
                + capacity
                + " messages): the listener falls behind the stream"));
  }

  /** The server sent a close frame with {@code code}; 1000 and 1001 are normal closes. */
  static Disconnect serverClosed(int code, String reason) {
    IOException cause =
        new IOException(
            "server closed the connection with "
                + code
                + (reason.isEmpty() ? "" : " (" + reason + ")"));
    boolean normal = code == 1000 || code == 1001;
    return serverClosed(normal ? null : FailureReason.CLOSED_BY_SERVER, cause);
  }

  /** The handshake was answered with an HTTP status. */
  static Disconnect rejected(Throwable cause, boolean fatal, long retryAfterMillis) {
    return new Disconnect(FailureReason.HANDSHAKE_REJECTED, cause, fatal, retryAfterMillis, true);
  }
}
