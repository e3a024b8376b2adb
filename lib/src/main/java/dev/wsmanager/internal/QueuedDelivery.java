package dev.wsmanager.internal;

import dev.wsmanager.ManagedStream;
import dev.wsmanager.QueueOverflow;
import dev.wsmanager.StreamListener;
import java.util.ArrayDeque;
import okio.ByteString;

/**
 * Queued message delivery of one stream: the reader thread only queues, the stream's {@link
 * SerialCallbacks} deliver, one at a time and in order with the lifecycle callbacks. The queue is
 * bounded; what a full queue does is the stream's {@link QueueOverflow}.
 *
 * <p>Each queued message has one delivery task in the serial queue; a task delivers the oldest
 * message queued, so dropping the oldest message leaves its task to deliver the next one.
 */
final class QueuedDelivery {
  private final ArrayDeque<Object> messages = new ArrayDeque<>(); // String or ByteString
  private final int capacity;
  private final QueueOverflow overflow;
  private final SerialCallbacks callbacks;
  private final ManagerMetrics metrics;
  private final StreamListener listener;
  private final ManagedStream stream;

  QueuedDelivery(
      int capacity,
      QueueOverflow overflow,
      SerialCallbacks callbacks,
      ManagerMetrics metrics,
      StreamListener listener,
      ManagedStream stream) {
    this.capacity = capacity;
    this.overflow = overflow;
    this.callbacks = callbacks;
    this.metrics = metrics;
    this.listener = listener;
    this.stream = stream;
  }

  /**
   * Queues a message (a String or a ByteString) for delivery; reader thread.
   *
   * @return false if the queue was full and the overflow policy is to disconnect
   */
  boolean offer(Object message) {
    boolean newTask = true;
    synchronized (messages) {
      if (messages.size() >= capacity) {
        metrics.messagesDropped.increment();
        switch (overflow) {
          case DROP_NEWEST:
            return true;
          case DISCONNECT:
            return false;
          case DROP_OLDEST:
          default:
            messages.poll();
            newTask = false; // the dropped message's task delivers the next one
            break;
        }
      } else {
        metrics.deliveryQueueDepth.incrementAndGet();
      }
      messages.add(message);
    }
    if (newTask) {
      callbacks.enqueue(this::deliverOne);
      callbacks.flush();
    }
    return true;
  }

  /** Messages waiting. */
  int depth() {
    synchronized (messages) {
      return messages.size();
    }
  }

  private void deliverOne() {
    Object message;
    synchronized (messages) {
      message = messages.poll();
    }
    if (message == null) {
      return;
    }
    metrics.deliveryQueueDepth.decrementAndGet();
    if (message instanceof String text) {
      callbacks.safely("onText", () -> listener.onText(stream, text));
    } else {
      ByteString bytes = (ByteString) message;
      callbacks.safely("onBinary", () -> listener.onBinary(stream, bytes));
    }
  }
}
