package dev.wsmanager.internal;

/**
 * A stream's current connection and the last two that ended, changed under the stream's lock. Each
 * connection counts its own messages (one writer: its reader thread); the stream's total is the
 * counts of connections long gone, folded, plus these three. A reader that was finishing a message
 * when its connection ended is still counted: its count is folded only when two more have ended.
 *
 * <p>{@link #received()} takes no lock, so that a scrape, which sums every stream, costs a few
 * reads per stream: {@link #retire} is bracketed by a version that is odd while it runs, and a sum
 * taken across a change is taken again (a sequence lock). A sum therefore never counts a connection
 * twice or misses one, and the exported counter never goes down.
 */
final class ConnectionHistory {
  private volatile Connection current;
  private volatile Connection previous;
  private volatile Connection older;
  private volatile long folded;
  private volatile int version; // odd while retire() runs; one writer (the stream's lock)

  /** The current connection, or null; read without the lock on hot paths. */
  Connection current() {
    return current;
  }

  void start(Connection c) {
    current = c;
  }

  /** {@code c}, the current connection, ended. */
  void retire(Connection c) {
    version++;
    current = null;
    if (older != null) {
      folded += older.counter.count();
    }
    older = previous;
    previous = c;
    version++;
  }

  /** The connection that ended last, or null. */
  Connection previous() {
    return previous;
  }

  /** Messages received over the stream's life. */
  long received() {
    while (true) {
      int before = version;
      if ((before & 1) == 0) {
        long n = folded + count(current) + count(previous) + count(older);
        if (version == before) {
          return n;
        }
      }
      Thread.onSpinWait();
    }
  }

  private static long count(Connection c) {
    return c == null ? 0 : c.counter.count();
  }

  /** When the last message arrived (-1: never); asks for the next message to be stamped. */
  long lastMessageAtMillis() {
    long at = -1;
    for (Connection c : new Connection[] {current, previous}) {
      if (c != null) {
        at = Math.max(at, c.counter.lastMessageAtMillis());
        c.counter.unstamped();
      }
    }
    return at;
  }

  /** The connections that ended, for cancelling any still closing. */
  Connection[] retired() {
    return new Connection[] {previous, older};
  }
}
