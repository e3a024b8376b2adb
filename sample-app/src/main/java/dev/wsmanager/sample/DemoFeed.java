package dev.wsmanager.sample;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.java_websocket.WebSocket;
import org.java_websocket.exceptions.WebsocketNotConnectedException;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.server.WebSocketServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A WebSocket server on loopback that streams made-up price ticks, so the sample app has something
 * to manage without a real feed.
 *
 * <p>Every connection at {@code /ticks} receives {@value #TICKS_PER_SECOND} ticks a second, such as
 * {@code {"symbol":"BTCUSDT","price":64012.5,"ts":1767225600000}}, for {@code BTCUSDT} until it
 * sends {@code {"op":"subscribe","symbol":"ETHUSDT"}}, which is answered with {@code
 * {"event":"subscribed","symbol":"ETHUSDT"}}. A tick's {@code ts} is its event time: a few
 * milliseconds before it is sent, as a real exchange's would be. Heartbeats, {@code {"op":"ping"}}
 * (or {@code ping}), are answered with {@code {"op":"pong","ts":...}} (or {@code pong}). Anything
 * else is answered with an {@code error} event.
 *
 * <p>With chaos on, something happens to one connection every few seconds ({@link #CHAOS_INTERVAL}
 * in the app), in turn: it is dropped abruptly (no close frame), closed with 1011 (server error),
 * closed with 1001 (going away), its heartbeat replies are delayed by {@link #SLOW_REPLY} (longer
 * than the sample app's heartbeat timeout), or its clock is skewed, its ticks stamped alternately
 * {@link #SKEW_AHEAD} in the future and {@link #SKEW_BEHIND} in the past.
 */
final class DemoFeed implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DemoFeed.class);

  static final int TICKS_PER_SECOND = 4;
  static final Duration CHAOS_INTERVAL = Duration.ofSeconds(3);
  static final String DEFAULT_SYMBOL = "BTCUSDT";
  static final Duration SLOW_REPLY = Duration.ofSeconds(3);
  static final Duration SKEW_AHEAD = Duration.ofMillis(750);
  static final Duration SKEW_BEHIND = Duration.ofMillis(1500);

  /** Most milliseconds between a tick's event time and its sending, without skew. */
  static final int MAX_LATENCY_MILLIS = 25;

  private static final Pattern SYMBOL = Pattern.compile("[A-Z0-9]{2,20}");
  private static final JsonFactory JSON = new JsonFactory();

  private final Server server;
  private final ScheduledExecutorService timer;
  private final Map<String, Double> prices = new ConcurrentHashMap<>();
  private final AtomicInteger chaosRound = new AtomicInteger();
  private final AtomicInteger skewRound = new AtomicInteger();

  /** One connection's state: its symbol and what chaos did to it. */
  static final class Conn {
    volatile String symbol = DEFAULT_SYMBOL;
    volatile long skewMillis;
    volatile long replyDelayMillis;
  }

  private DemoFeed(Server server, ScheduledExecutorService timer) {
    this.server = server;
    this.timer = timer;
  }

  /**
   * Starts a feed on a free loopback port.
   *
   * @param chaosEvery how often to drop a connection, {@link Duration#ZERO} for never
   * @return the running feed
   * @throws IOException if the server cannot listen
   */
  static DemoFeed start(Duration chaosEvery) throws IOException {
    boolean chaos = !chaosEvery.isZero();
    Server server = new Server(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    ScheduledExecutorService timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "demo-feed-timer");
              t.setDaemon(true);
              return t;
            });
    DemoFeed feed = new DemoFeed(server, timer);
    server.feed = feed;
    server.start();
    try {
      server.awaitStarted();
    } catch (IOException e) {
      timer.shutdownNow();
      throw e;
    }
    long tickMillis = 1000 / TICKS_PER_SECOND;
    timer.scheduleAtFixedRate(feed::tick, tickMillis, tickMillis, TimeUnit.MILLISECONDS);
    if (chaos) {
      long chaosMillis = chaosEvery.toMillis();
      timer.scheduleAtFixedRate(feed::chaos, chaosMillis, chaosMillis, TimeUnit.MILLISECONDS);
    }
    log.info("demo feed streaming ticks at {}{}", feed.url(), chaos ? " with chaos on" : "");
    return feed;
  }

  /**
   * The URL streams connect to.
   *
   * @return {@code ws://127.0.0.1:<port>/ticks}
   */
  URI url() {
    return URI.create("ws://127.0.0.1:" + server.getPort() + "/ticks");
  }

  /**
   * Connections open now, as the server sees them.
   *
   * @return the count
   */
  int openConnections() {
    return server.open.size();
  }

  /**
   * Connections the client closed with 1000 since the feed started.
   *
   * @return the count
   */
  int cleanClientCloses() {
    return server.cleanClientCloses.get();
  }

  /**
   * Waits until no connection is open, for a clean shutdown after the clients closed theirs.
   *
   * @param timeout the longest to wait
   * @return whether none is open
   */
  boolean awaitNoConnections(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (server.open) {
      while (!server.open.isEmpty()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        try {
          server.open.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return true;
    }
  }

  /** Stops the timer and the server; connections still open are closed with 1001. */
  @Override
  public void close() {
    timer.shutdownNow();
    try {
      server.stop(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void tick() {
    try {
      long now = System.currentTimeMillis();
      for (WebSocket conn : server.open) {
        Conn state = conn.getAttachment();
        String symbol = state.symbol;
        long eventTime =
            now - ThreadLocalRandom.current().nextInt(1, MAX_LATENCY_MILLIS + 1) + state.skewMillis;
        send(
            conn,
            String.format(
                Locale.ROOT,
                "{\"symbol\":\"%s\",\"price\":%.2f,\"ts\":%d}",
                symbol,
                nextPrice(symbol),
                eventTime));
      }
    } catch (RuntimeException e) {
      log.warn("demo feed: a tick failed", e); // keep the timer alive
    }
  }

  private double nextPrice(String symbol) {
    return prices.compute(
        symbol,
        (s, last) -> {
          double base = last != null ? last : startingPrice(s);
          return Math.max(0.01, base * (1 + ThreadLocalRandom.current().nextGaussian() * 0.0005));
        });
  }

  private static double startingPrice(String symbol) {
    switch (symbol) {
      case "BTCUSDT":
        return 64_000;
      case "ETHUSDT":
        return 3_100;
      case "SOLUSDT":
        return 145;
      case "XRPUSDT":
        return 0.52;
      case "DOGEUSDT":
        return 0.12;
      default:
        return 100;
    }
  }

  private void chaos() {
    java.util.List<WebSocket> open = new java.util.ArrayList<>(server.open);
    if (open.isEmpty()) {
      return;
    }
    WebSocket victim = open.get(ThreadLocalRandom.current().nextInt(open.size()));
    Conn state = victim.getAttachment();
    switch (chaosRound.getAndIncrement() % 5) {
      case 0:
        log.info("demo feed chaos: dropping a connection without a close frame");
        victim.closeConnection(CloseFrame.ABNORMAL_CLOSE, "chaos");
        break;
      case 1:
        log.info("demo feed chaos: closing a connection with 1011");
        victim.close(CloseFrame.UNEXPECTED_CONDITION, "chaos: internal error");
        break;
      case 2:
        log.info("demo feed chaos: closing a connection with 1001");
        victim.close(CloseFrame.GOING_AWAY, "chaos: going away");
        break;
      case 3:
        log.info("demo feed chaos: delaying a connection's heartbeat replies by {}", SLOW_REPLY);
        state.replyDelayMillis = SLOW_REPLY.toMillis();
        break;
      default:
        long skew =
            skewRound.getAndIncrement() % 2 == 0 ? SKEW_AHEAD.toMillis() : -SKEW_BEHIND.toMillis();
        log.info("demo feed chaos: skewing a connection's clock by {} ms", skew);
        state.skewMillis = skew;
        break;
    }
  }

  private void onMessage(WebSocket conn, String message) {
    Conn state = conn.getAttachment();
    String reply = heartbeatReply(message);
    if (reply != null) {
      long delay = state.replyDelayMillis;
      if (delay > 0) {
        try {
          timer.schedule(() -> send(conn, reply), delay, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
          // the feed is closing
        }
      } else {
        send(conn, reply);
      }
      return;
    }
    String symbol = subscribedSymbol(message);
    if (symbol == null) {
      send(
          conn,
          "{\"event\":\"error\",\"message\":\"expected {\\\"op\\\":\\\"subscribe\\\","
              + "\\\"symbol\\\":\\\"BTCUSDT\\\"} with a symbol of 2 to 20 capital letters or digits\"}");
      return;
    }
    state.symbol = symbol;
    send(conn, "{\"event\":\"subscribed\",\"symbol\":\"" + symbol + "\"}");
  }

  /** The answer to a heartbeat, or {@code null} if {@code message} is not one. */
  static String heartbeatReply(String message) {
    if (message.equals("ping")) {
      return "pong";
    }
    if (message.equals("{\"op\":\"ping\"}")) {
      return "{\"op\":\"pong\",\"ts\":" + System.currentTimeMillis() + "}";
    }
    return null;
  }

  /** The symbol of a valid {@code {"op":"subscribe","symbol":"..."}} message, else {@code null}. */
  static String subscribedSymbol(String message) {
    String op = null;
    String symbol = null;
    try (JsonParser p = JSON.createParser(message)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if (value == JsonToken.VALUE_STRING && field.equals("op")) {
          op = p.getText();
        } else if (value == JsonToken.VALUE_STRING && field.equals("symbol")) {
          symbol = p.getText();
        } else {
          p.skipChildren();
        }
      }
    } catch (IOException e) {
      return null;
    }
    return "subscribe".equals(op) && symbol != null && SYMBOL.matcher(symbol).matches()
        ? symbol
        : null;
  }

  private static void send(WebSocket conn, String text) {
    try {
      conn.send(text);
    } catch (WebsocketNotConnectedException e) {
      // closed since we looked: nothing to do
    }
  }

  /** The Java-WebSocket server; its callbacks run on its threads. */
  private static final class Server extends WebSocketServer {
    final Set<WebSocket> open = ConcurrentHashMap.newKeySet();
    final AtomicInteger cleanClientCloses = new AtomicInteger();
    private final CountDownLatch started = new CountDownLatch(1);
    private final AtomicReference<Exception> startFailure = new AtomicReference<>();
    volatile DemoFeed feed;

    Server(InetSocketAddress address) {
      super(address, 1);
      setReuseAddr(true);
      setDaemon(true);
    }

    void awaitStarted() throws IOException {
      try {
        if (!started.await(10, TimeUnit.SECONDS)) {
          throw new IOException("demo feed did not start within 10 seconds");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while starting the demo feed", e);
      }
      Exception failure = startFailure.get();
      if (failure != null) {
        throw new IOException(
            "demo feed could not listen on loopback: " + failure.getMessage(), failure);
      }
    }

    @Override
    public void onStart() {
      started.countDown();
    }

    @Override
    public void onOpen(WebSocket conn, ClientHandshake handshake) {
      conn.setAttachment(new Conn());
      open.add(conn);
    }

    /**
     * Counts the client's close frame when it arrives. The code {@code onClose} reports cannot be
     * used for this: Java-WebSocket checks for a finished close handshake without holding the
     * connection's lock, so when the client drops TCP right after reading the echoed close frame,
     * {@code onClose} may report 1006 for a handshake that completed with 1000.
     */
    @Override
    public void onClosing(WebSocket conn, int code, String reason, boolean remote) {
      if (remote && code == CloseFrame.NORMAL) {
        cleanClientCloses.incrementAndGet();
      }
    }

    @Override
    public void onClose(WebSocket conn, int code, String reason, boolean remote) {
      synchronized (open) {
        open.remove(conn);
        open.notifyAll();
      }
    }

    @Override
    public void onMessage(WebSocket conn, String message) {
      feed.onMessage(conn, message);
    }

    @Override
    public void onError(WebSocket conn, Exception e) {
      if (conn == null) {
        startFailure.set(e); // the server itself failed, most likely while binding
        started.countDown();
      } else {
        log.debug("demo feed: connection error", e);
      }
    }
  }
}
