package dev.wsmanager.internal;

/**
 * Spaces connection attempts across a whole manager: at most {@code burst} at once, then one every
 * {@code 1 / ratePerSecond}. A reservation never fails; it says how much later than asked the
 * attempt may start, so thousands of streams reconnecting after an outage queue up instead of
 * stampeding. Thread-safe; time is passed in, never read.
 *
 * <p>Reserve when the attempt is due, not ahead of time: the cursor only moves forward, so a
 * reservation for a time far ahead (the end of a long backoff) would hold back every attempt wanted
 * before it.
 */
final class AdmissionLimiter {
  private final long intervalNanos;
  private final long burstNanos;
  private long cursor = Long.MIN_VALUE;

  AdmissionLimiter(double ratePerSecond, int burst) {
    this.intervalNanos = Math.max(1L, Math.round(1_000_000_000d / ratePerSecond));
    this.burstNanos = intervalNanos * burst;
  }

  /**
   * Reserves a slot for an attempt that wants to start at {@code wantedNanos}.
   *
   * @return how many nanoseconds after {@code wantedNanos} the attempt may start, 0 if at once
   */
  synchronized long reserve(long wantedNanos) {
    long earliest = wantedNanos - burstNanos;
    if (cursor == Long.MIN_VALUE || cursor < earliest) {
      cursor = earliest;
    }
    cursor += intervalNanos;
    return Math.max(0L, cursor - wantedNanos);
  }
}
