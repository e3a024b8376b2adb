package dev.wsmanager.internal;

import java.util.concurrent.ScheduledFuture;
import java.util.function.LongSupplier;
import okhttp3.Response;
import okhttp3.WebSocket;
import okhttp3.WebSocketListener;
import okio.ByteString;

/**
 * One physical connection attempt of a stream: OkHttp's listener for it, its own message counter,
 * and its deadline. Events of a connection that is no longer the stream's current one are ignored.
 */
final class Connection extends WebSocketListener {
  private final StreamLoop loop;
  final long startedNanos;
  final MessageCounter counter;
  volatile WebSocket ws;
  volatile boolean open;
  ScheduledFuture<?> deadline; // guarded by the loop's lock: connect timeout, then idle check

  Connection(StreamLoop loop, long startedNanos, LongSupplier clockMillis) {
    this.loop = loop;
    this.startedNanos = startedNanos;
    this.counter = new MessageCounter(clockMillis);
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

  @Override
  public void onMessage(WebSocket webSocket, String text) {
    loop.text(this, text);
  }

  @Override
  public void onMessage(WebSocket webSocket, ByteString bytes) {
    loop.binary(this, bytes);
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
