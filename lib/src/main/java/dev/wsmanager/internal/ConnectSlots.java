package dev.wsmanager.internal;

import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * Caps the handshakes in flight across a whole manager. A stream takes a slot when its attempt
 * starts and gives it back when the handshake ends (opened, failed, timed out or closed); a stream
 * that finds none waits in line, first come first served, and a slot given back goes straight to
 * the first in line. Beside {@link AdmissionLimiter}, which spaces the starts: a rate alone lets
 * every attempt start when handshakes are slow, and they then time out and start again.
 *
 * <p>Thread-safe. A waiter is handed its slot through {@code grant}, never called under this
 * object's lock; the waiter must give the slot back if it no longer wants it.
 */
final class ConnectSlots {
  private final int max;
  private final Consumer<StreamLoop> grant;
  private final ArrayDeque<StreamLoop> waiting = new ArrayDeque<>();
  private int inFlight;

  /**
   * @param max slots, at least 1
   * @param grant hands a freed slot to a waiter (asynchronously); returns normally or throws {@link
   *     IllegalStateException} when the waiter cannot be reached (the manager is closing)
   */
  ConnectSlots(int max, Consumer<StreamLoop> grant) {
    this.max = max;
    this.grant = grant;
  }

  /** Takes a slot, or puts {@code waiter} in line for the next one and returns false. */
  synchronized boolean acquireOrWait(StreamLoop waiter) {
    if (inFlight < max && waiting.isEmpty()) {
      inFlight++;
      return true;
    }
    waiting.addLast(waiter);
    return false;
  }

  /** Gives a slot back: to the first in line, or to the pool. */
  void release() {
    StreamLoop next;
    synchronized (this) {
      next = waiting.pollFirst();
      if (next == null) {
        inFlight--;
        return;
      }
    }
    try {
      grant.accept(next); // the slot moves to next
    } catch (IllegalStateException closing) {
      synchronized (this) {
        inFlight--;
      }
    }
  }

  /** Slots taken now. */
  synchronized int inFlight() {
    return inFlight;
  }

  /** Streams waiting for a slot now (closed ones included until their turn comes). */
  synchronized int waiting() {
    return waiting.size();
  }
}
