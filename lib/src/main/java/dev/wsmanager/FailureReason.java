package dev.wsmanager;

import java.util.Locale;

/**
 * Why a connection attempt failed or an open connection ended. The set is fixed so that the {@code
 * reason} label of {@code ws_manager_connection_failures_total} stays bounded.
 */
public enum FailureReason {
  /** The server answered the upgrade request with something other than 101. */
  HANDSHAKE_REJECTED,
  /** The TCP or TLS connection could not be made (refused, unresolvable host, bad certificate). */
  CONNECT_ERROR,
  /** The handshake did not complete within the stream's connect timeout. */
  CONNECT_TIMEOUT,
  /** A ping was not answered by a pong before the next ping was due. */
  PING_TIMEOUT,
  /** No message arrived within the stream's idle timeout. */
  IDLE_TIMEOUT,
  /** An application heartbeat ({@link StreamSpec#heartbeat()}) was not answered in time. */
  HEARTBEAT_TIMEOUT,
  /** The server closed the connection with a code other than 1000 or 1001. */
  CLOSED_BY_SERVER,
  /** An open connection broke (reset, end of stream, protocol error). */
  CONNECTION_LOST;

  /**
   * The value of the {@code reason} label.
   *
   * @return the label value, e.g. {@code ping_timeout}
   */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
