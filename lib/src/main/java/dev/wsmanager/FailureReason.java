package dev.wsmanager;

import java.util.Locale;

/**
 * Why a connection attempt failed or an open connection ended. The set is fixed so that the {@code
 * reason} label of {@code ws_manager_connection_failures_total} stays bounded.
 */
public enum FailureReason {
  /** The server answered the upgrade request with something other than 101. */
  HANDSHAKE_REJECTED,
  /** The TCP connection could not be made (refused, unreachable, unresolvable host). */
  CONNECT_ERROR,
  /**
   * The TLS handshake failed: the server's certificate is not trusted by the client or does not
   * match the host, or no protocol or cipher suite is shared. Retried like any failure, but it
   * rarely heals by itself; a WARN is logged once it repeats.
   */
  TLS_ERROR,
  /** The handshake did not complete within the stream's connect timeout. */
  CONNECT_TIMEOUT,
  /**
   * A ping was not answered by a pong before the next ping was due (or a write stayed blocked past
   * OkHttp's write timeout): the peer or the network stopped responding.
   */
  PING_TIMEOUT,
  /** No message arrived within the stream's idle timeout. */
  IDLE_TIMEOUT,
  /** An application heartbeat ({@link StreamSpec#heartbeat()}) was not answered in time. */
  HEARTBEAT_TIMEOUT,
  /** The server closed the connection with a code other than 1000 or 1001. */
  CLOSED_BY_SERVER,
  /** An open connection broke (reset, end of stream, protocol error). */
  CONNECTION_LOST,
  /**
   * The connection looked dead because the listener did not return: the reader thread was still
   * inside a message callback when the idle timeout or the pong deadline passed, so nothing (not
   * even the pong) could be read. The fix is in the listener, not the network: return quickly, or
   * use queued delivery ({@link StreamSpec.Builder#queuedDelivery}). Reported also when a queued
   * delivery with {@link QueueOverflow#DISCONNECT} overflows.
   */
  LISTENER_STALLED;

  /**
   * The value of the {@code reason} label.
   *
   * @return the label value, e.g. {@code ping_timeout}
   */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
