package dev.wsmanager.internal;

import java.util.concurrent.ScheduledFuture;
import java.util.function.Function;
import java.util.function.LongSupplier;
import okhttp3.Response;
import okhttp3.WebSocket;
import okhttp3.WebSocketListener;
import okio.ByteString;

/**
 * One physical connection attempt of a stream: OkHttp's listener for it, its own message counter,
 * its deadline and its per-message hooks (heartbeat, delay; none for most streams). Events of a
 * connection that is no longer the stream's current one are ignored.
 */
final class Connection extends WebSocketListener {
  private final StreamLoop loop;
  private final MessageDelivery messages;
  final long startedNanos;
  final MessageCounter counter;

  /** Heartbeat and delay per text message; null when the stream has neither. */
  final MessageHooks hooks;

  volatile WebSocket ws;
  volatile boolean open;
  boolean holdsSlot; // guarded by the loop's lock: a handshake slot, until open or retired
  ScheduledFuture<?> deadline; // guarded by the loop's lock: connect timeout, then idle check

  Connection(
      StreamLoop loop,
      MessageDelivery messages,
      long startedNanos,
      LongSupplier clockMillis,
      Function<Connection, MessageHooks> hooks) {
    this.loop = loop;
    this.messages = messages;
    this.startedNanos = startedNanos;
    this.counter = new MessageCounter(clockMillis);
    this.hooks = hooks.apply(this);
  }

  /** Cancels the connect or idle deadline; under the loop's lock. */
  void cancelDeadline() {
    ScheduledFuture<?> d = deadline;
    deadline = null;
    if (d != null) {
      d.cancel(false);
    }
  }

  /** Stops its timers: the deadline and the heartbeat; under the loop's lock. */
  void stopTimers() {
    cancelDeadline();
    if (hooks != null) {
      hooks.stop();
    }
  }

  /** Closes the socket at once, without a close handshake. */
  void cancel() {
    WebSocket w = ws;
    if (w != null) {
      w.cancel();
    }
  }

  @Override
  public void onOpen(WebSocket webSocket, Response response) {
    loop.opened(this, webSocket);
  }

  /** Counts a message and hands it on; the hot path. A stale connection's messages are dropped. */
  @Override
  public void onMessage(WebSocket webSocket, String text) {
    if (!loop.isCurrent(this)) {
      return;
    }
    received(text);
  }

  /**
   * A text message of the current connection: counted, shown to the hooks (one null check for a
   * stream without heartbeat and event time), then delivered unless it was a heartbeat reply.
   */
  void received(String text) {
    counter.increment();
    if (hooks != null && hooks.consume(text)) {
      return; // a heartbeat reply
    }
    if (!messages.text(counter, text)) {
      loop.overflowed(this);
    }
  }

  @Override
  public void onMessage(WebSocket webSocket, ByteString bytes) {
    if (!loop.isCurrent(this)) {
      return;
    }
    counter.increment();
    if (!messages.binary(counter, bytes)) {
      loop.overflowed(this);
    }
  }

  @Override
  public void onClosing(WebSocket webSocket, int code, String reason) {
    loop.serverClosing(this, webSocket, code, reason);
  }

  @Override
  public void onClosed(WebSocket webSocket, int code, String reason) {
    ws = webSocket;
    loop.closed(this);
  }

  @Override
  public void onFailure(WebSocket webSocket, Throwable t, Response response) {
    ws = webSocket;
    loop.failed(this, t, response);
  }
}
