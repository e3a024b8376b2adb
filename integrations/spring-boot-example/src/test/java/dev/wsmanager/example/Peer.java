package dev.wsmanager.example;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okhttp3.Response;
import okhttp3.WebSocket;
import okhttp3.WebSocketListener;

/**
 * A real WebSocket server on 127.0.0.1 that records what the application's stream does; {@code
 * /reject} answers 404.
 */
final class Peer implements Closeable {
  private final MockWebServer server = new MockWebServer();
  final BlockingQueue<String> received = new LinkedBlockingQueue<>();
  final BlockingQueue<Integer> closeCodes = new LinkedBlockingQueue<>();

  Peer() throws IOException {
    server.setDispatcher(
        new mockwebserver3.Dispatcher() {
          @Override
          public MockResponse dispatch(mockwebserver3.RecordedRequest request) {
            if (request.getUrl().encodedPath().startsWith("/reject")) {
              return new MockResponse.Builder().code(404).build();
            }
            return new MockResponse.Builder().webSocketUpgrade(listener()).build();
          }
        });
    server.start(InetAddress.getLoopbackAddress(), 0);
  }

  private WebSocketListener listener() {
    return new WebSocketListener() {
      @Override
      public void onOpen(WebSocket webSocket, Response response) {
        webSocket.send("{\"seq\":1}");
      }

      @Override
      public void onMessage(WebSocket webSocket, String text) {
        received.add(text);
      }

      @Override
      public void onClosing(WebSocket webSocket, int code, String reason) {
        closeCodes.add(code);
        webSocket.close(1000, null);
      }
    };
  }

  String url() {
    return url("/feed");
  }

  /** A URL on this peer; paths starting with {@code /reject} answer 404. */
  String url(String path) {
    return "ws://127.0.0.1:" + server.getPort() + path;
  }

  @Override
  public void close() {
    server.close();
  }
}
