package dev.wsmanager.internal;

/**
 * When a stream last showed life, for its idle timer and for an operator's {@code closeIdle}. A
 * connection's reader stamps a message with the clock only when asked to (see {@link
 * MessageCounter}), so messages that arrived after the last stamp count from the first time an
 * observer saw them: a busy stream that falls silent is failed within one to two idle timeouts, a
 * quieter one exactly one after its last message. Guarded by the stream's lock.
 */
final class IdleWatch {
  private final FirstSeen byTimer = new FirstSeen();
  private final FirstSeen byOperator = new FirstSeen();

  /**
   * The open connection's last sign of life, as its idle timer sees it: its last stamped message,
   * its opening, or the first time this timer saw messages with no stamp.
   */
  long lastLifeMillis(Connection c, long openedAtMillis, long now) {
    long last = Math.max(c.counter.lastMessageAtMillis(), openedAtMillis);
    if (c.counter.unstamped()) {
      last = Math.max(last, byTimer.at(c.counter.count(), now));
    }
    return last;
  }

  /**
   * How long the stream has received nothing, as an operator sees it: since its last message, or
   * since it was created when it never received one.
   */
  long idleMillis(ConnectionHistory connections, long createdAtMillis, long now) {
    long last = Math.max(createdAtMillis, connections.lastMessageAtMillis());
    Connection current = connections.current();
    Connection previous = connections.previous();
    if ((current != null && current.counter.unstamped())
        || (previous != null && previous.counter.unstamped())) {
      last = Math.max(last, byOperator.at(connections.received(), now));
    }
    return Math.max(0, now - last);
  }

  /** When an observer first saw a message count; -1 before it saw any. */
  private static final class FirstSeen {
    private long count;
    private long atMillis = -1;

    long at(long count, long now) {
      if (count != this.count) {
        this.count = count;
        atMillis = now;
      }
      return atMillis;
    }
  }
}
