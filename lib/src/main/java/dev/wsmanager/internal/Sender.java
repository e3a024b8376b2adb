package dev.wsmanager.internal;

import java.util.concurrent.atomic.AtomicLong;
import okhttp3.WebSocket;
import okio.ByteString;
import okio.Utf8;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stream's outbound side: checks a message against the stream's queue limit, queues it on the
 * current socket, and counts what was sent and, by reason, what was refused.
 */
final class Sender {
  private static final Logger log = LoggerFactory.getLogger("dev.wsmanager.ManagedStream");

  private final long maxQueuedBytes;
  private final ManagerMetrics metrics;
  private final String logId;
  private final AtomicLong sent = new AtomicLong();

  Sender(long maxQueuedBytes, ManagerMetrics metrics, String logId) {
    this.maxQueuedBytes = maxQueuedBytes;
    this.metrics = metrics;
    this.logId = logId;
  }

  /** Sends on {@code ws}, or refuses (counted) when it is null: the stream is not open. */
  boolean send(WebSocket ws, String text) {
    if (ws == null) {
      return rejected(ManagerMetrics.SendRejection.NOT_OPEN);
    }
    long queued = ws.queueSize();
    if (queued + 3L * text.length() > maxQueuedBytes) { // UTF-8 takes at most 3 bytes a char
      long size = Utf8.size(text);
      if (size > maxQueuedBytes) {
        return rejected(ManagerMetrics.SendRejection.TOO_LARGE);
      }
      if (queued + size > maxQueuedBytes) {
        return rejected(ManagerMetrics.SendRejection.QUEUE_FULL);
      }
    }
    return counted(ws.send(text));
  }

  /** Sends on {@code ws}, or refuses (counted) when it is null: the stream is not open. */
  boolean send(WebSocket ws, ByteString bytes) {
    if (ws == null) {
      return rejected(ManagerMetrics.SendRejection.NOT_OPEN);
    }
    if (bytes.size() > maxQueuedBytes) {
      return rejected(ManagerMetrics.SendRejection.TOO_LARGE);
    }
    if (ws.queueSize() + bytes.size() > maxQueuedBytes) {
      return rejected(ManagerMetrics.SendRejection.QUEUE_FULL);
    }
    return counted(ws.send(bytes));
  }

  /** Subscribe messages sent on open. */
  void subscribed(int messages) {
    sent.addAndGet(messages);
    metrics.sent(messages);
  }

  long sent() {
    return sent.get();
  }

  private boolean counted(boolean queued) {
    if (!queued) {
      return rejected(ManagerMetrics.SendRejection.NOT_OPEN); // the socket began closing
    }
    sent.incrementAndGet();
    metrics.sent(1);
    return true;
  }

  private boolean rejected(ManagerMetrics.SendRejection why) {
    metrics.sendRejected(why);
    if (why == ManagerMetrics.SendRejection.TOO_LARGE) {
      log.warn(
          "stream '{}': send rejected: the message is larger than maxQueuedBytes ({} bytes) and can"
              + " never be queued; raise maxQueuedBytes or split the message",
          logId,
          maxQueuedBytes);
    }
    return false;
  }
}
