package dev.wsmanager.micrometer;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.Response;
import okhttp3.WebSocket;
import okhttp3.WebSocketListener;

/** A WebSocket server on 127.0.0.1: greets each connection; {@code /reject} answers 404. */
final class Peer implements Closeable {
  private final MockWebServer server = new MockWebServer();

  Peer() throws IOException {
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            if (request.getUrl().encodedPath().startsWith("/reject")) {
              return new MockResponse.Builder().code(404).build();
            }
            return new MockResponse.Builder()
                .webSocketUpgrade(
                    new WebSocketListener() {
                      @Override
                      public void onOpen(WebSocket webSocket, Response response) {
                        webSocket.send("hello");
                      }

                      @Override
                      public void onClosing(WebSocket webSocket, int code, String reason) {
                        webSocket.close(1000, null);
                      }
                    })
                .build();
          }
        });
    server.start(InetAddress.getLoopbackAddress(), 0);
  }

  String url(String path) {
    return "ws://127.0.0.1:" + server.getPort() + path;
  }

  @Override
  public void close() {
    server.close();
  }
}
