package dev.wsmanager.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Every platform thread a manager creates (scheduler, OkHttp io, callbacks), so that closing can
 * wait until each one has really ended, not just until its executor says it is done.
 */
final class OwnedThreads {
  private final Set<Thread> threads = ConcurrentHashMap.newKeySet();

  /** A factory of daemon threads named {@code prefix-N}, each one tracked. */
  ThreadFactory factory(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      threads.removeIf(t -> t.getState() == Thread.State.TERMINATED);
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      threads.add(t);
      return t;
    };
  }

  /**
   * Waits until every tracked thread has ended or the deadline passed.
   *
   * @return the threads still alive at the deadline
   */
  List<Thread> join(long deadlineNanos) {
    List<Thread> alive = new ArrayList<>();
    for (Thread t : threads) {
      if (t == Thread.currentThread()) {
        continue;
      }
      try {
        long left = deadlineNanos - System.nanoTime();
        if (left > 0) {
          t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (t.isAlive()) {
        alive.add(t);
      }
    }
    return alive;
  }
}
