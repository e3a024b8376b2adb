package dev.wsmanager.testing;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock and a scheduler that only move when a test says so. Tasks run on the thread that calls
 * {@link #advance}, in due-time order; tasks may be scheduled from any thread.
 */
public final class FakeTime extends AbstractExecutorService
    implements ScheduledExecutorService, InstantSource {
  private final AtomicLong nanos = new AtomicLong(1_700_000_000_000_000_000L);
  private final PriorityQueue<Task<?>> queue = new PriorityQueue<>();
  private long sequence;
  private boolean shutdown;

  @Override
  public Instant instant() {
    long n = nanos.get();
    return Instant.ofEpochSecond(n / 1_000_000_000L, n % 1_000_000_000L);
  }

  @Override
  public long millis() {
    return nanos.get() / 1_000_000L;
  }

  /** Moves time forward by {@code d}, running every task that falls due, in order. */
  public void advance(Duration d) {
    long target = nanos.get() + d.toNanos();
    while (true) {
      Task<?> next;
      synchronized (this) {
        next = queue.peek();
        if (next == null || next.dueNanos > target) {
          break;
        }
        queue.poll();
      }
      nanos.accumulateAndGet(next.dueNanos, Math::max);
      next.run();
    }
    nanos.accumulateAndGet(target, Math::max);
  }

  /** Runs the tasks due now without moving time. */
  public void runDue() {
    advance(Duration.ZERO);
  }

  /** Delays of the pending tasks from now, soonest first. */
  public synchronized List<Duration> pendingDelays() {
    List<Task<?>> tasks = new ArrayList<>(queue);
    tasks.sort(null);
    List<Duration> out = new ArrayList<>();
    for (Task<?> t : tasks) {
      out.add(Duration.ofNanos(t.dueNanos - nanos.get()));
    }
    return out;
  }

  public synchronized int pendingCount() {
    return queue.size();
  }

  @Override
  public synchronized ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    return add(
        () -> {
          command.run();
          return null;
        },
        delay,
        unit);
  }

  @Override
  public synchronized <V> ScheduledFuture<V> schedule(
      Callable<V> callable, long delay, TimeUnit unit) {
    return add(callable, delay, unit);
  }

  private <V> Task<V> add(Callable<V> callable, long delay, TimeUnit unit) {
    if (shutdown) {
      throw new java.util.concurrent.RejectedExecutionException("shut down");
    }
    Task<V> task = new Task<>(callable, nanos.get() + unit.toNanos(Math.max(0, delay)), sequence++);
    queue.add(task);
    return task;
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(
      Runnable command, long initialDelay, long period, TimeUnit unit) {
    throw new UnsupportedOperationException();
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(
      Runnable command, long initialDelay, long delay, TimeUnit unit) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void execute(Runnable command) {
    schedule(command, 0, TimeUnit.NANOSECONDS);
  }

  @Override
  public synchronized void shutdown() {
    shutdown = true;
  }

  @Override
  public synchronized List<Runnable> shutdownNow() {
    shutdown = true;
    queue.clear();
    return List.of();
  }

  @Override
  public synchronized boolean isShutdown() {
    return shutdown;
  }

  @Override
  public synchronized boolean isTerminated() {
    return shutdown;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return true;
  }

  private final class Task<V> implements ScheduledFuture<V>, Runnable {
    final Callable<V> callable;
    final long dueNanos;
    final long seq;
    volatile boolean cancelled;
    volatile boolean done;

    Task(Callable<V> callable, long dueNanos, long seq) {
      this.callable = callable;
      this.dueNanos = dueNanos;
      this.seq = seq;
    }

    @Override
    public void run() {
      if (cancelled) {
        return;
      }
      try {
        callable.call();
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      } finally {
        done = true;
      }
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(dueNanos - nanos.get(), TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed o) {
      Task<?> other = (Task<?>) o;
      int c = Long.compare(dueNanos, other.dueNanos);
      return c != 0 ? c : Long.compare(seq, other.seq);
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      synchronized (FakeTime.this) {
        queue.remove(this);
      }
      cancelled = true;
      return !done;
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }

    @Override
    public boolean isDone() {
      return done || cancelled;
    }

    @Override
    public V get() {
      throw new UnsupportedOperationException();
    }

    @Override
    public V get(long timeout, TimeUnit unit) {
      throw new UnsupportedOperationException();
    }
  }
}
