package dev.wsmanager;

/**
 * The life of a managed stream. This is the one place the state machine is written down.
 *
 * <pre>
 *                 open()
 *                   |
 *                   v
 *   +-------> CONNECTING ---------------------------+
 *   |           |    |                              |  fatal handshake (401/403/404) or
 *   | timer     |    | attempt failed               |  attempts exhausted
 *   |           |    v                              v
 *   |           |  BACKING_OFF -------------------> FAILED
 *   +-----------|----+                              |
 *               | handshake ok                      |
 *               v                                   |
 *             OPEN ---- connection lost, ---> BACKING_OFF (or FAILED when attempts are exhausted)
 *               |       server close, ping, heartbeat or idle timeout
 *               | close()
 *               v
 *            CLOSING ----------------------------> CLOSED
 * </pre>
 *
 * <p>Allowed transitions:
 *
 * <ul>
 *   <li>{@link #CONNECTING} to {@link #OPEN}, {@link #BACKING_OFF}, {@link #FAILED} or {@link
 *       #CLOSED} (closed by the user while connecting);
 *   <li>{@link #OPEN} to {@link #BACKING_OFF}, {@link #FAILED}, {@link #CLOSING}, {@link #CLOSED}
 *       or {@link #CONNECTING} (an operator's {@link WsManager#reconnect});
 *   <li>{@link #BACKING_OFF} to {@link #CONNECTING} or {@link #CLOSED};
 *   <li>{@link #CLOSING} to {@link #CLOSED};
 *   <li>{@link #FAILED} to {@link #CLOSED} (closed by the user, or cleaned up when the manager's
 *       failed-stream retention elapses) or {@link #CONNECTING} (an operator's {@link
 *       WsManager#reconnect});
 *   <li>{@link #CLOSED} is terminal.
 * </ul>
 *
 * <p>A stream is <em>live</em> (listed by {@link WsManager#streams()}) in every state but {@link
 * #CLOSED}. A server-initiated close, even with 1000 or 1001, leads to {@link #BACKING_OFF} and a
 * reconnect: the stream belongs to the user until the user closes it.
 */
public enum StreamState {
  /** A connection attempt is queued or in flight. */
  CONNECTING,
  /** The WebSocket handshake succeeded; messages flow. */
  OPEN,
  /** The last connection ended or failed; a reconnect is scheduled. */
  BACKING_OFF,
  /** The user asked to close; a 1000 close frame was sent and the peer's reply is awaited. */
  CLOSING,
  /** Terminal: the stream was closed and removed from its manager. */
  CLOSED,
  /**
   * The stream gave up: a handshake was rejected as fatal or the reconnect policy ran out of
   * attempts. It stays listed until closed or until the failed-stream retention elapses.
   */
  FAILED;

  /**
   * The value of the {@code state} label on {@code ws_manager_streams}.
   *
   * @return the label value, e.g. {@code backing_off}
   */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
