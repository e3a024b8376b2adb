package dev.wsmanager;

/**
 * What a stream with queued delivery ({@link StreamSpec.Builder#queuedDelivery}) does with a
 * message that arrives while its queue is full. Every dropped message is counted in {@code
 * ws_manager_messages_dropped_total}.
 */
public enum QueueOverflow {
  /** Drop the oldest queued message to make room: the listener sees the latest data. */
  DROP_OLDEST,
  /** Drop the message that arrived: the listener sees a gap-free prefix. */
  DROP_NEWEST,
  /**
   * Fail the connection with {@link FailureReason#LISTENER_STALLED} and reconnect once the queue
   * has drained; the queued messages are still delivered.
   */
  DISCONNECT
}
