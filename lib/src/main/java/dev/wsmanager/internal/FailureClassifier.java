package dev.wsmanager.internal;

import dev.wsmanager.FailureReason;
import dev.wsmanager.ReconnectPolicy;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.security.cert.CertificateException;
import java.util.Date;
import javax.net.ssl.SSLException;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns what OkHttp reports into a {@link Disconnect}: by the exception's type and the phase the
 * connection was in, never by message text.
 *
 * <ul>
 *   <li>an HTTP answer to the upgrade: {@link FailureReason#HANDSHAKE_REJECTED}, fatal when the
 *       policy says so; 429 and 503 carry their {@code Retry-After};
 *   <li>before the upgrade completed: {@link FailureReason#TLS_ERROR} for an {@link SSLException}
 *       (or a certificate problem anywhere in the cause chain), {@link
 *       FailureReason#CONNECT_TIMEOUT} for a {@link SocketTimeoutException}, else {@link
 *       FailureReason#CONNECT_ERROR};
 *   <li>on an open connection: a {@link SocketTimeoutException} is OkHttp's pong deadline (the
 *       manager's WebSocket clients have no read timeout, so no read can time out; a write blocked
 *       past the write timeout means the same, a peer that stopped responding): {@link
 *       FailureReason#PING_TIMEOUT}, or {@link FailureReason#LISTENER_STALLED} when the reader
 *       thread was inside a listener callback and so could not read the pong; anything else is
 *       {@link FailureReason#CONNECTION_LOST}.
 * </ul>
 */
final class FailureClassifier {
  private static final Logger log = LoggerFactory.getLogger("dev.wsmanager.ManagedStream");

  /** The most a {@code Retry-After} header can hold a stream back: one hour. */
  static final long MAX_RETRY_AFTER_MILLIS = 3_600_000L;

  private FailureClassifier() {}

  /**
   * Classifies a failure OkHttp reported.
   *
   * @param opened whether the connection had completed its handshake
   * @param listenerBusy whether the connection's reader thread is inside a listener callback
   */
  static Disconnect classify(
      Throwable t,
      Response response,
      boolean opened,
      boolean listenerBusy,
      ReconnectPolicy policy,
      long nowMillis,
      String logId) {
    if (response != null) {
      int code = response.code();
      long retryAfter =
          code == 429 || code == 503 ? retryAfterMillis(response, nowMillis, logId) : 0;
      return Disconnect.rejected(
          new IOException("handshake rejected with HTTP " + code),
          policy.isFatal(code),
          retryAfter);
    }
    FailureReason reason;
    if (!opened) {
      if (isTls(t)) {
        reason = FailureReason.TLS_ERROR;
      } else if (t instanceof SocketTimeoutException) {
        reason = FailureReason.CONNECT_TIMEOUT;
      } else {
        reason = FailureReason.CONNECT_ERROR;
      }
    } else if (t instanceof SocketTimeoutException) {
      reason = listenerBusy ? FailureReason.LISTENER_STALLED : FailureReason.PING_TIMEOUT;
    } else {
      reason = FailureReason.CONNECTION_LOST;
    }
    return Disconnect.failed(reason, t);
  }

  private static boolean isTls(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof SSLException || c instanceof CertificateException) {
        return true;
      }
    }
    return false;
  }

  /**
   * The wait a {@code Retry-After} header asks for: delay-seconds or an HTTP date, saturated to
   * {@link #MAX_RETRY_AFTER_MILLIS}. A value that is neither is logged and ignored.
   */
  static long retryAfterMillis(Response response, long nowMillis, String logId) {
    String value = response.header("Retry-After");
    if (value == null) {
      return 0;
    }
    String v = value.trim();
    if (!v.isEmpty() && v.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
      // delay-seconds: any number of digits; past the cap (or past a long) it is the cap
      if (v.length() > 12) {
        return MAX_RETRY_AFTER_MILLIS;
      }
      return Math.min(Long.parseLong(v) * 1000L, MAX_RETRY_AFTER_MILLIS);
    }
    Date date = response.headers().getDate("Retry-After");
    if (date == null) {
      log.warn(
          "stream '{}': ignored Retry-After '{}' of an HTTP {} answer: neither delay-seconds nor an"
              + " HTTP date; reconnecting on the normal backoff",
          logId,
          Redaction.printable(v.length() > 64 ? v.substring(0, 64) + "..." : v),
          response.code());
      return 0;
    }
    return Math.max(0, Math.min(date.getTime() - nowMillis, MAX_RETRY_AFTER_MILLIS));
  }
}
