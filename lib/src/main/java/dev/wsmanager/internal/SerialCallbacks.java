package dev.wsmanager.internal;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One stream's user callbacks, delivered one at a time and in the order they were queued, on the
 * manager's {@link CallbackExecutor}; never on the thread that queued them. The loop queues
 * callbacks under its lock (so they keep the order of its transitions) and calls {@link #flush()}
 * after releasing it.
 *
 * <p>{@link #safely} is the one place a user callback's exception is caught, logged and counted.
 */
final class SerialCallbacks {
  private static final Logger log = LoggerFactory.getLogger("dev.wsmanager.ManagedStream");

  private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final CallbackExecutor executor;
  private final String logId;
  private final Runnable errorCounter;
  private final AtomicBoolean dropWarned = new AtomicBoolean();
  private volatile String running; // the callback being delivered, for the close warning

  SerialCallbacks(CallbackExecutor executor, String logId, Runnable errorCounter) {
    this.executor = executor;
    this.logId = logId;
    this.errorCounter = errorCounter;
  }

  /** Queues a user callback; delivered after the next {@link #flush()}. */
  void emit(String name, Runnable callback) {
    queue.add(
        () -> {
          running = name;
          try {
            safely(name, callback);
          } finally {
            running = null;
          }
        });
  }

  /** Queues a task that handles its own errors (through {@link #safely}). */
  void enqueue(Runnable task) {
    queue.add(task);
  }

  /** Starts delivering what is queued, unless a delivery is already under way. */
  void flush() {
    while (!queue.isEmpty() && scheduled.compareAndSet(false, true)) {
      if (executor.submit(this::drain)) {
        return;
      }
      scheduled.set(false);
      dropAll();
      return;
    }
  }

  private void drain() {
    try {
      Runnable task;
      while (!executor.stopped() && (task = queue.poll()) != null) {
        task.run();
      }
    } finally {
      scheduled.set(false);
    }
    if (executor.stopped()) {
      dropAll();
    } else {
      flush(); // callbacks queued after the last poll
    }
  }

  private void dropAll() {
    int dropped = 0;
    while (queue.poll() != null) {
      dropped++;
    }
    if (dropped > 0 && dropWarned.compareAndSet(false, true)) {
      log.warn(
          "stream '{}': {} listener callbacks not delivered: the manager closed before they ran",
          logId,
          dropped);
    }
  }

  /** The callback running now, or null. */
  String running() {
    return running;
  }

  /** Runs a user callback; logs and counts what it throws, except a VM error. */
  void safely(String name, Runnable callback) {
    try {
      callback.run();
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable t) {
      threw(name, t);
    }
  }

  /** A user callback threw: counted and logged, the stream carries on. */
  void threw(String name, Throwable t) {
    errorCounter.run();
    log.warn("stream '{}': listener {} threw; the stream carries on", logId, name, t);
  }
}
