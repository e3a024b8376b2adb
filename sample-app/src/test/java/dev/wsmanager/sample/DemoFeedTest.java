package dev.wsmanager.sample;

import static dev.wsmanager.sample.Eventually.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.wsmanager.EventTime;
import dev.wsmanager.FailureReason;
import dev.wsmanager.Heartbeat;
import dev.wsmanager.ManagedStream;
import dev.wsmanager.ReconnectPolicy;
import dev.wsmanager.StreamListener;
import dev.wsmanager.StreamSpec;
import dev.wsmanager.WsManager;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DemoFeedTest {
  private final List<AutoCloseable> toClose = new java.util.ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  private <T extends AutoCloseable> T closeLater(T closeable) {
    toClose.add(closeable);
    return closeable;
  }

  private WsManager manager(Duration reconnectDelay) {
    return closeLater(
        WsManager.builder()
            .name("demo-feed-test")
            .registry(new PrometheusRegistry())
            .reconnectPolicy(
                ReconnectPolicy.builder()
                    .initialDelay(reconnectDelay)
                    .maxDelay(reconnectDelay)
                    .build())
            .build());
  }

  /** Collects text messages. */
  static final class Inbox implements StreamListener {
    final BlockingQueue<String> messages = new LinkedBlockingQueue<>();

    @Override
    public void onText(ManagedStream stream, String text) {
      messages.add(text);
    }

    String next(Predicate<String> matching) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (System.nanoTime() < deadline) {
        String m = messages.poll(100, TimeUnit.MILLISECONDS);
        if (m != null && matching.test(m)) {
          return m;
        }
      }
      throw new AssertionError("no matching message within 10 seconds");
    }
  }

  @Test
  void streamsTicksAndAnswersSubscriptions() throws IOException, InterruptedException {
    DemoFeed feed = closeLater(DemoFeed.start(Duration.ZERO));
    Inbox inbox = new Inbox();
    ManagedStream stream =
        manager(Duration.ofMillis(50))
            .open(StreamSpec.builder("feed", feed.url().toString()).listener(inbox).build());

    assertThat(inbox.next(m -> m.contains("\"symbol\":\"BTCUSDT\"")))
        .matches("\\{\"symbol\":\"BTCUSDT\",\"price\":\\d+\\.\\d{2},\"ts\":\\d{13}}");

    assertThat(stream.send("{\"op\":\"subscribe\",\"symbol\":\"SOLUSDT\"}")).isTrue();
    assertThat(inbox.next(m -> m.contains("event")))
        .isEqualTo("{\"event\":\"subscribed\",\"symbol\":\"SOLUSDT\"}");
    assertThat(inbox.next(m -> true)).startsWith("{\"symbol\":\"SOLUSDT\",\"price\":");

    assertThat(stream.send("hello")).isTrue();
    assertThat(inbox.next(m -> m.contains("event"))).startsWith("{\"event\":\"error\",");

    stream.close();
    await(
        "the feed sees the clean close",
        () -> feed.openConnections() == 0 && feed.cleanClientCloses() == 1);
  }

  @Test
  void chaosDropsConnectionsAndTheStreamsRecover() throws IOException {
    DemoFeed feed = closeLater(DemoFeed.start(Duration.ofMillis(100)));
    WsManager manager = manager(Duration.ofMillis(20));
    for (int i = 1; i <= 3; i++) {
      manager.open(StreamSpec.builder("s" + i, feed.url().toString()).build());
    }

    await(
        "abrupt drops, 1011 closes and 1001 closes have all happened",
        () ->
            manager.stats().connectionFailures().get(FailureReason.CONNECTION_LOST) >= 1
                && manager.stats().connectionFailures().get(FailureReason.CLOSED_BY_SERVER) >= 1
                && manager.stats().retries() >= 3);
    feed.close();
    assertThat(manager.stats().connectionAttempts()).isGreaterThan(3);
  }

  @Test
  void answersHeartbeatsAndStampsEventTimes() throws IOException, InterruptedException {
    DemoFeed feed = closeLater(DemoFeed.start(Duration.ZERO));
    Inbox inbox = new Inbox();
    ManagedStream stream =
        manager(Duration.ofMillis(50))
            .open(StreamSpec.builder("feed", feed.url().toString()).listener(inbox).build());
    String tick = inbox.next(m -> m.contains("\"symbol\""));
    long ts = Long.parseLong(tick.replaceAll(".*\"ts\":(\\d+).*", "$1"));
    assertThat(ts).isBetween(System.currentTimeMillis() - 5_000, System.currentTimeMillis());

    assertThat(stream.send("{\"op\":\"ping\"}")).isTrue();
    assertThat(inbox.next(m -> m.contains("pong"))).matches("\\{\"op\":\"pong\",\"ts\":\\d{13}}");
    assertThat(stream.send("ping")).isTrue();
    assertThat(inbox.next(m -> !m.contains("symbol"))).isEqualTo("pong");
  }

  @Test
  void chaosDelaysHeartbeatRepliesAndSkewsClocks() throws IOException {
    DemoFeed feed = closeLater(DemoFeed.start(Duration.ofMillis(100)));
    WsManager manager = manager(Duration.ofMillis(20));
    for (int i = 1; i <= 3; i++) {
      manager.open(
          StreamSpec.builder("s" + i, feed.url().toString())
              .heartbeat(
                  Heartbeat.builder()
                      .message("{\"op\":\"ping\"}")
                      .reply(t -> t.startsWith("{\"op\":\"pong\""))
                      .interval(Duration.ofMillis(200))
                      .timeout(Duration.ofMillis(150))
                      .build())
              .eventTime(EventTime.jsonField("ts"))
              .build());
    }
    await(
        "heartbeat timeouts, answered heartbeats and ticks from the future",
        () ->
            manager.stats().heartbeatTimeouts() >= 1
                && manager.stats().connectionFailures().get(FailureReason.HEARTBEAT_TIMEOUT) >= 1
                && manager.stats().heartbeatSuccesses() >= 1
                && manager.stats().negativeMessageDelays() >= 1);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"op\":\"subscribe\",\"symbol\":\"ETHUSDT\"}",
        "{\"symbol\":\"ETHUSDT\",\"extra\":{\"a\":[1,2]},\"op\":\"subscribe\"}",
      })
  void readsSubscribeMessages(String message) {
    assertThat(DemoFeed.subscribedSymbol(message)).isEqualTo("ETHUSDT");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "hello",
        "[]",
        "{\"op\":\"subscribe\"}",
        "{\"op\":\"unsubscribe\",\"symbol\":\"ETHUSDT\"}",
        "{\"op\":\"subscribe\",\"symbol\":\"eth\\\"\"}",
        "{\"op\":\"subscribe\",\"symbol\":1}",
        "{\"op\":\"subscribe\",\"symbol\":\"ETH",
      })
  void rejectsEverythingElse(String message) {
    assertThat(DemoFeed.subscribedSymbol(message)).isNull();
  }
}
