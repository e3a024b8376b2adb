package dev.wsmanager.internal;

import dev.wsmanager.Heartbeat;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One connection's application heartbeat: started when the connection opens, it sends the heartbeat
 * every interval, recognises replies among the received text messages and reports a reply that did
 * not come within the timeout; stopped when the connection ends.
 *
 * <p>The reader thread ({@link #consume}) and the timer thread ({@link #beat}, {@link #expire})
 * meet only in {@link #awaitingSince}, the send time of the heartbeat still unanswered: whoever
 * clears it first decides whether that heartbeat succeeded or timed out.
 */
final class HeartbeatMonitor {
  private static final long NONE = Long.MIN_VALUE;

  /** What the monitor needs from its connection. */
  interface Host {
    ScheduledFuture<?> schedule(Runnable task, long delayMillis);

    long nowNanos();

    /** Queues {@code text} on the connection; false if it is gone or its queue is full. */
    boolean send(String text);

    void answered(long rttNanos);

    void timedOut();

    void error(String what, RuntimeException e);
  }

  private final Heartbeat heartbeat;
  private final Host host;
  private final long intervalMillis;
  private final long timeoutMillis;
  private final AtomicLong awaitingSince = new AtomicLong(NONE);
  private volatile boolean stopped;
  private ScheduledFuture<?> next; // guarded by this
  private ScheduledFuture<?> deadline; // guarded by this

  HeartbeatMonitor(Heartbeat heartbeat, Host host) {
    this.heartbeat = heartbeat;
    this.host = host;
    this.intervalMillis = heartbeat.interval().toMillis();
    this.timeoutMillis = heartbeat.timeout().toMillis();
  }

  /** Schedules the first heartbeat one interval from now. */
  synchronized void start() {
    if (!stopped) {
      next = host.schedule(this::beat, intervalMillis);
    }
  }

  private void beat() {
    if (stopped) {
      return;
    }
    String message;
    try {
      message = heartbeat.nextMessage();
    } catch (RuntimeException e) {
      host.error("heartbeat message supplier", e);
      message = null;
    }
    long sentAt = host.nowNanos();
    awaitingSince.set(sentAt); // before sending: a fast reply must find it
    if (message != null) {
      host.send(message);
    }
    synchronized (this) {
      if (stopped) {
        return;
      }
      // the deadline first: when timeout equals interval it runs before the next beat
      deadline = host.schedule(() -> expire(sentAt), timeoutMillis);
      next = host.schedule(this::beat, intervalMillis);
    }
  }

  private void expire(long sentAt) {
    if (!stopped && awaitingSince.compareAndSet(sentAt, NONE)) {
      host.timedOut();
    }
  }

  /**
   * Looks at a received text message; on the reader thread.
   *
   * @return whether it is a heartbeat reply the listener must not see
   */
  boolean consume(String text) {
    boolean reply;
    try {
      reply = heartbeat.isReply(text);
    } catch (RuntimeException e) {
      host.error("heartbeat reply predicate", e);
      return false;
    }
    if (!reply) {
      return false;
    }
    long sentAt = awaitingSince.getAndSet(NONE);
    if (sentAt != NONE && !stopped) {
      host.answered(Math.max(0, host.nowNanos() - sentAt));
    }
    return !heartbeat.passRepliesToListener();
  }

  /** Cancels the timers; idempotent. A heartbeat awaited now is neither a success nor a timeout. */
  void stop() {
    stopped = true;
    synchronized (this) {
      cancel(next);
      cancel(deadline);
      next = null;
      deadline = null;
    }
  }

  private static void cancel(ScheduledFuture<?> f) {
    if (f != null) {
      f.cancel(false);
    }
  }
}
