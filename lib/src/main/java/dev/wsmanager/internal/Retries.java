package dev.wsmanager.internal;

import dev.wsmanager.FailureReason;
import dev.wsmanager.ReconnectPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stream's record of failures, and what they decide: the next attempt's wait, or giving up. The
 * shape is Resilience4j's {@code Retry.asyncContext()}: a failure in, "wait this long" or "give up"
 * out. It also words the log lines of both outcomes, one per retry, which {@code grep
 * "WSManager.*retry"} finds. Guarded by the stream's lock.
 */
final class Retries {
  private static final Logger log = LoggerFactory.getLogger("dev.wsmanager.ManagedStream");

  private final ReconnectPolicy policy;
  private final String logId;
  private final String redactedUrl;

  private int consecutiveFailures;
  private long retries;
  private FailureReason lastReason;
  private String lastError;

  /** The next attempt's wait: the larger of the backoff and the server's Retry-After. */
  record Wait(long delayMillis, long backoffMillis, int failures) {
    /** How much longer than its backoff the stream waits because the server asked it to. */
    long serverDirectedMillis() {
      return delayMillis - backoffMillis;
    }
  }

  Retries(ReconnectPolicy policy, String logId, String redactedUrl) {
    this.policy = policy;
    this.logId = logId;
    this.redactedUrl = redactedUrl;
  }

  /** A failure with a reason (a normal server close has none) is the stream's last one. */
  void remember(FailureReason reason, Throwable cause) {
    lastReason = reason;
    lastError = reason.label() + ": " + cause;
  }

  /** A connection that stayed open for the policy's minimum uptime ends a run of failures. */
  void ended(boolean wasOpen, long uptimeMillis) {
    if (wasOpen && uptimeMillis >= policy.minUptime().toMillis()) {
      consecutiveFailures = 0;
    }
  }

  /** An operator revived a stream that gave up: it starts with a fresh count. */
  void reset() {
    consecutiveFailures = 0;
  }

  /**
   * Counts a connection that ended and decides what comes next.
   *
   * @param fatal whether the failure forbids a retry (a handshake rejected with 401, for example)
   * @param retryAfterMillis the least wait the server asked for, 0 when it did not
   * @param random a uniform number in {@code [0, 1)} for the jitter
   * @return the next attempt's wait, or null to give up
   */
  Wait next(boolean fatal, long retryAfterMillis, double random) {
    int failures = ++consecutiveFailures;
    if (fatal || policy.isExhausted(failures)) {
      return null;
    }
    long backoff = policy.delayMillis(failures, random);
    retries++;
    return new Wait(Math.max(backoff, retryAfterMillis), backoff, failures);
  }

  /** The line for a stream that gave up, written after the lock is released. */
  Runnable gaveUpLine(boolean fatal, FailureReason reason, Throwable cause) {
    FailureReason why = reason != null ? reason : lastReason;
    String what = fatal ? "no retry (fatal)" : "retry attempts exhausted";
    int failures = consecutiveFailures;
    return () ->
        log.warn(
            "WSManager {}: stream '{}' ({}) gave up after {} consecutive failures, reason {}: {}",
            what,
            logId,
            redactedUrl,
            failures,
            why == null ? "none" : why.label(),
            cause.toString());
  }

  /**
   * The retry line: id, attempt, delay, reason; at WARN once a certificate has failed twice, since
   * that will not mend itself.
   */
  Runnable retryLine(long attempt, Wait wait, FailureReason reason, Throwable cause) {
    boolean untrusted = reason == FailureReason.TLS_ERROR && wait.failures() > 1;
    String why =
        untrusted
            ? "; the server's certificate is not trusted by this client or does not match the host"
            : wait.serverDirectedMillis() > 0 ? " as the server asked (Retry-After)" : "";
    String line =
        "WSManager retry: stream '{}' attempt {} in {} ms{}, reason {} ({} consecutive), url {}: {}";
    Object[] args = {
      logId,
      attempt,
      wait.delayMillis(),
      why,
      reason == null ? "normal_close" : reason.label(),
      wait.failures(),
      redactedUrl,
      cause.toString()
    };
    return untrusted ? () -> log.warn(line, args) : () -> log.info(line, args);
  }

  ReconnectPolicy policy() {
    return policy;
  }

  int consecutiveFailures() {
    return consecutiveFailures;
  }

  long retries() {
    return retries;
  }

  FailureReason lastReason() {
    return lastReason;
  }

  String lastError() {
    return lastError;
  }
}
