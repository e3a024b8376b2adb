package dev.wsmanager.http;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.Response;
import okhttp3.WebSocket;
import okhttp3.WebSocketListener;

/**
 * A WebSocket server on loopback. Paths starting {@code /reject} get a 404; on paths starting
 * {@code /slam} the server closes each new connection with 1011; every other path is upgraded, the
 * connection greeted with one message and the client's close answered.
 */
final class WsPeer implements AutoCloseable {
  private final MockWebServer server = new MockWebServer();
  private final Set<WebSocket> open = ConcurrentHashMap.newKeySet();

  WsPeer() {
    WebSocketListener listener =
        new WebSocketListener() {
          @Override
          public void onOpen(WebSocket webSocket, Response response) {
            open.add(webSocket);
            webSocket.send("{\"hello\":true}");
          }

          @Override
          public void onClosing(WebSocket webSocket, int code, String reason) {
            webSocket.close(1000, null);
          }

          @Override
          public void onClosed(WebSocket webSocket, int code, String reason) {
            open.remove(webSocket);
          }

          @Override
          public void onFailure(WebSocket webSocket, Throwable t, Response response) {
            open.remove(webSocket);
          }
        };
    WebSocketListener slammer =
        new WebSocketListener() {
          @Override
          public void onOpen(WebSocket webSocket, Response response) {
            webSocket.close(1011, "internal error");
          }
        };
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            String path = request.getUrl().encodedPath();
            if (path.startsWith("/reject")) {
              return new MockResponse.Builder().code(404).build();
            }
            if (path.startsWith("/slam")) {
              return new MockResponse.Builder().webSocketUpgrade(slammer).build();
            }
            return new MockResponse.Builder().webSocketUpgrade(listener).build();
          }
        });
    try {
      server.start(InetAddress.getLoopbackAddress(), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A {@code ws://} URL on this server; {@code query} may carry a secret to be redacted. */
  String url(String pathAndQuery) {
    return "ws://127.0.0.1:" + server.getPort() + pathAndQuery;
  }

  int openConnections() {
    return open.size();
  }

  @Override
  public void close() {
    server.close();
  }
}
