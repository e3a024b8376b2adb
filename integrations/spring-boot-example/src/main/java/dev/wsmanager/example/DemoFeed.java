package dev.wsmanager.example;

import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.config.annotation.EnableWebSocket;
import org.springframework.web.socket.config.annotation.WebSocketConfigurer;
import org.springframework.web.socket.config.annotation.WebSocketHandlerRegistry;
import org.springframework.web.socket.handler.TextWebSocketHandler;

/**
 * A demo market-data feed on {@code /demo/feed}, served by this application itself so that the
 * example runs with nothing else: a tick every 500 ms to every connection, an acknowledgement for
 * every message received (the subscription).
 */
@Configuration(proxyBeanMethods = false)
@EnableWebSocket
public class DemoFeed extends TextWebSocketHandler implements WebSocketConfigurer, DisposableBean {
  private final Set<WebSocketSession> sessions = ConcurrentHashMap.newKeySet();
  private final AtomicLong seq = new AtomicLong();
  private final ScheduledExecutorService ticker =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "demo-feed-ticker");
            t.setDaemon(true);
            return t;
          });

  public DemoFeed() {
    ticker.scheduleAtFixedRate(this::tick, 500, 500, TimeUnit.MILLISECONDS);
  }

  @Override
  public void registerWebSocketHandlers(WebSocketHandlerRegistry registry) {
    registry.addHandler(this, "/demo/feed");
  }

  @Override
  public void afterConnectionEstablished(WebSocketSession session) {
    sessions.add(session);
  }

  @Override
  protected void handleTextMessage(WebSocketSession session, TextMessage message)
      throws IOException {
    synchronized (session) {
      session.sendMessage(new TextMessage("{\"ack\":" + message.getPayloadLength() + "}"));
    }
  }

  @Override
  public void afterConnectionClosed(WebSocketSession session, CloseStatus status) {
    sessions.remove(session);
  }

  private void tick() {
    long n = seq.incrementAndGet();
    TextMessage tick = new TextMessage("{\"seq\":" + n + ",\"price\":" + (100 + n % 7) + "}");
    for (WebSocketSession session : sessions) {
      try {
        synchronized (session) {
          if (session.isOpen()) {
            session.sendMessage(tick);
          }
        }
      } catch (IOException | IllegalStateException e) {
        sessions.remove(session);
      }
    }
  }

  /** Stops the ticker with the application. */
  @Override
  public void destroy() {
    ticker.shutdownNow();
  }
}
