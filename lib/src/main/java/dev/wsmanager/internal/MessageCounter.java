package dev.wsmanager.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.LongSupplier;

/**
 * One connection's received-message count and last-message time. Each connection has its own
 * counter and only that connection's reader thread writes it, so the count has a single writer by
 * construction and needs no atomic update; any thread may read it.
 *
 * <p>Reading the clock costs more than the rest together (~25 ns on a VM), so a busy connection
 * does not read it for every message: while consecutive reads land within a millisecond of each
 * other the stride doubles, up to every {@value #MAX_CLOCK_STRIDE}th message; a quieter one reads
 * it for every message. Messages counted after the last read are "unstamped"; an observer that sees
 * them ({@link #unstamped()}) asks for the next message to be stamped.
 *
 * <p>The counter also records whether the reader thread is inside a listener callback, so that a
 * timeout that fires while the listener is busy is reported as the listener's fault.
 */
final class MessageCounter {
  /** The most messages between two clock reads on a busy connection. */
  static final int MAX_CLOCK_STRIDE = 64;

  private static final VarHandle COUNT;
  private static final VarHandle IN_CALLBACK;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      COUNT = lookup.findVarHandle(MessageCounter.class, "count", long.class);
      IN_CALLBACK = lookup.findVarHandle(MessageCounter.class, "inCallback", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final LongSupplier clockMillis;

  private long count; // through COUNT: opaque, so the hot path has no fence
  private boolean inCallback; // through IN_CALLBACK: opaque
  private long clockReadAt = 1; // reader thread only: the count of the next clock read
  private int clockStride = 1; // reader thread only
  private volatile long stampedCount; // messages counted when lastMessageAtMillis was read
  private volatile long lastMessageAtMillis = -1;
  private volatile boolean stampNext; // an observer saw messages newer than the last stamp

  MessageCounter(LongSupplier clockMillis) {
    this.clockMillis = clockMillis;
  }

  /** Counts a message; reader thread only. */
  void increment() {
    long n = count + 1;
    COUNT.setOpaque(this, n);
    if (n >= clockReadAt || stampNext) {
      stamp(n);
    }
  }

  private void stamp(long n) {
    long now = clockMillis.getAsLong();
    clockStride = now - lastMessageAtMillis <= 1 ? Math.min(clockStride * 2, MAX_CLOCK_STRIDE) : 1;
    clockReadAt = n + clockStride;
    stampedCount = n;
    lastMessageAtMillis = now;
    if (stampNext) {
      stampNext = false;
    }
  }

  /** {@return messages counted so far} */
  long count() {
    return (long) COUNT.getOpaque(this);
  }

  /** {@return when the last stamped message arrived, -1 before the first} */
  long lastMessageAtMillis() {
    return lastMessageAtMillis;
  }

  /** Whether messages arrived after the last clock read; if so, the next one reads the clock. */
  boolean unstamped() {
    if (count() != stampedCount) {
      stampNext = true;
      return true;
    }
    return false;
  }

  /** The reader thread enters ({@code true}) or leaves a listener callback; reader thread only. */
  void inCallback(boolean busy) {
    IN_CALLBACK.setOpaque(this, busy);
  }

  /** {@return whether the reader thread is inside a listener callback right now} */
  boolean inCallback() {
    return (boolean) IN_CALLBACK.getOpaque(this);
  }
}
