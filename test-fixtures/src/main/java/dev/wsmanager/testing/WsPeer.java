package dev.wsmanager.testing;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLSocketFactory;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.Response;
import okhttp3.WebSocket;
import okhttp3.WebSocketListener;

/**
 * A real WebSocket server on 127.0.0.1 (mockwebserver3). Upgrades every request unless a response
 * was scripted with {@link #enqueue}; records what the server side sees. Two paths misbehave on
 * every request: {@code /reject...} answers 404, and on {@code /slam...} the server closes each new
 * connection with 1011.
 */
public final class WsPeer implements Closeable {
  private final MockWebServer server = new MockWebServer();
  private final BlockingQueue<MockResponse> scripted = new LinkedBlockingQueue<>();
  public final List<WebSocket> open = new CopyOnWriteArrayList<>();
  public final BlockingQueue<String> received = new LinkedBlockingQueue<>();
  public final BlockingQueue<Integer> closeCodes = new LinkedBlockingQueue<>();
  public final BlockingQueue<RecordedRequest> requests = new LinkedBlockingQueue<>();
  public final AtomicInteger upgrades = new AtomicInteger();

  private volatile String greeting;

  private final WebSocketListener serverSide =
      new WebSocketListener() {
        @Override
        public void onOpen(WebSocket webSocket, Response response) {
          open.add(webSocket);
          upgrades.incrementAndGet();
          String hello = greeting;
          if (hello != null) {
            webSocket.send(hello);
          }
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

        @Override
        public void onClosed(WebSocket webSocket, int code, String reason) {
          open.remove(webSocket);
        }

        @Override
        public void onFailure(WebSocket webSocket, Throwable t, Response response) {
          open.remove(webSocket);
        }
      };

  private static final WebSocketListener SLAMMER =
      new WebSocketListener() {
        @Override
        public void onOpen(WebSocket webSocket, Response response) {
          webSocket.close(1011, "internal error");
        }
      };

  private final String scheme;

  public WsPeer() {
    this(null);
  }

  /** A peer that speaks TLS with {@code sslSocketFactory}'s certificate: {@link #url()} is wss. */
  public static WsPeer https(SSLSocketFactory sslSocketFactory) {
    return new WsPeer(java.util.Objects.requireNonNull(sslSocketFactory));
  }

  private WsPeer(SSLSocketFactory sslSocketFactory) {
    scheme = sslSocketFactory == null ? "ws" : "wss";
    if (sslSocketFactory != null) {
      server.useHttps(sslSocketFactory);
    }
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            requests.add(request);
            MockResponse next = scripted.poll();
            if (next != null) {
              return next;
            }
            String path = request.getUrl().encodedPath();
            if (path.startsWith("/reject")) {
              return new MockResponse.Builder().code(404).build();
            }
            if (path.startsWith("/slam")) {
              return new MockResponse.Builder().webSocketUpgrade(SLAMMER).build();
            }
            return upgrade();
          }
        });
    try {
      server.start(InetAddress.getByName("127.0.0.1"), 0);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public MockResponse upgrade() {
    return new MockResponse.Builder().webSocketUpgrade(serverSide).build();
  }

  public void enqueue(MockResponse response) {
    scripted.add(response);
  }

  /** Sends {@code text} to every connection the server upgrades from now on, as it opens. */
  public WsPeer greeting(String text) {
    greeting = text;
    return this;
  }

  public String url() {
    return url("/ws");
  }

  /** A URL on this peer with the given path and query, for example {@code /feed?apikey=secret}. */
  public String url(String pathAndQuery) {
    return scheme + "://127.0.0.1:" + server.getPort() + pathAndQuery;
  }

  public int port() {
    return server.getPort();
  }

  /**
   * Drops the requests recorded so far, here and in MockWebServer, which keeps every one: a long
   * run would otherwise see the heap grow by one request per connection.
   */
  public void forgetRequests() {
    requests.clear();
    try {
      while (server.takeRequest(0, java.util.concurrent.TimeUnit.MILLISECONDS) != null) {
        // drained
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Sends {@code text} on every open server-side socket. */
  public void broadcast(String text) {
    Await.until("a server-side socket", () -> !open.isEmpty());
    for (WebSocket ws : open) {
      ws.send(text);
    }
  }

  public WebSocket awaitOpen(int index) {
    Await.until("server socket #" + index, () -> open.size() > index);
    return open.get(index);
  }

  /**
   * Waits until the server has seen {@code count} upgrades, then checks there were no more. The
   * server learns of an upgrade after the client does, so a test that saw the client open must
   * wait.
   */
  public void awaitUpgrades(int count) {
    Await.until(count + " upgrades", () -> upgrades.get() >= count);
    if (upgrades.get() != count) {
      throw new AssertionError("expected " + count + " upgrades, the server saw " + upgrades.get());
    }
  }

  /** The next message the server received, waiting for it with {@link Await}'s deadline. */
  public String awaitReceived() {
    return Await.value("a message at the server", received::poll);
  }

  /** The next close code the server received, waiting for it with {@link Await}'s deadline. */
  public int awaitCloseCode() {
    return Await.value("a close code at the server", closeCodes::poll);
  }

  @Override
  public void close() {
    server.close();
  }
}
