package dev.wsmanager.internal;

import java.util.concurrent.ScheduledFuture;

/** What a {@link StreamLoop} needs from its manager, and nothing more. */
interface StreamContext {
  long nowMillis();

  long nowNanos();

  /** Runs {@code task} on the manager's scheduler; null when the manager is shutting down. */
  ScheduledFuture<?> schedule(Runnable task, long delayMillis);

  /** Reserves a connection attempt slot for now; returns how long to wait for it, 0 if none. */
  long reserveAdmissionNanos();

  /**
   * Takes a handshake slot for {@code waiter}, or puts it in line and returns false; its {@link
   * StreamLoop#slotGranted()} runs on the scheduler when its slot comes.
   */
  boolean acquireConnectSlot(StreamLoop waiter);

  /** Gives back a handshake slot taken by {@link #acquireConnectSlot}. */
  void releaseConnectSlot();

  /** A uniform random number in {@code [0, 1)}, for jitter. */
  double random();

  long closeTimeoutMillis();

  long failedRetentionMillis();

  CallbackExecutor callbacks();

  boolean isRunning();

  /** The stream reached CLOSED: forget it. */
  void removed(StreamLoop loop);
}
