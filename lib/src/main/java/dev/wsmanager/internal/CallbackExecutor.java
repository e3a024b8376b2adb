package dev.wsmanager.internal;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The manager's threads for lifecycle callbacks and queued messages. Each stream delivers through
 * its own {@link SerialCallbacks}, which runs one drain at a time here, so a stream whose listener
 * blocks holds one thread and delays nothing else: never the manager's timers, never another
 * stream's callbacks.
 *
 * <p>Platform threads by default (at most one per stream with callbacks pending; idle ones end
 * after {@value #KEEP_ALIVE_SECONDS} s), or one virtual thread per drain.
 */
final class CallbackExecutor {
  static final int KEEP_ALIVE_SECONDS = 10;

  private final ExecutorService executor;
  private final AtomicInteger pending = new AtomicInteger();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition idle = lock.newCondition();
  private volatile boolean stopped;

  CallbackExecutor(ExecutorService executor) {
    this.executor = executor;
  }

  /** Platform threads from {@code threads}, created on demand and ended when idle. */
  static CallbackExecutor platform(ThreadFactory threads) {
    return new CallbackExecutor(
        new ThreadPoolExecutor(
            0,
            Integer.MAX_VALUE,
            KEEP_ALIVE_SECONDS,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            threads));
  }

  /** Runs {@code drain}; false if the executor has stopped. */
  boolean submit(Runnable drain) {
    if (stopped) {
      return false;
    }
    pending.incrementAndGet();
    try {
      executor.execute(
          () -> {
            try {
              drain.run();
            } finally {
              done();
            }
          });
      return true;
    } catch (RejectedExecutionException e) {
      done();
      return false;
    }
  }

  private void done() {
    if (pending.decrementAndGet() == 0) {
      lock.lock();
      try {
        idle.signalAll();
      } finally {
        lock.unlock();
      }
    }
  }

  boolean stopped() {
    return stopped;
  }

  /** Waits until no drain is pending or running; returns whether that happened by the deadline. */
  boolean awaitIdle(long deadlineNanos) {
    lock.lock();
    try {
      while (pending.get() > 0) {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        idle.await(Math.min(left, 20_000_000L), TimeUnit.NANOSECONDS);
      }
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return pending.get() == 0;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Stops delivering: callbacks not yet started are dropped, running ones are interrupted. Waits
   * until {@code deadlineNanos} for the executor to terminate.
   */
  void stop(long deadlineNanos) {
    stopped = true;
    executor.shutdownNow();
    try {
      long left = deadlineNanos - System.nanoTime();
      executor.awaitTermination(Math.max(0, left), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
