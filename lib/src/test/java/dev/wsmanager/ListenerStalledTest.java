package dev.wsmanager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsmanager.testing.Await;
import dev.wsmanager.testing.FakeTime;
import dev.wsmanager.testing.RecordingListener;
import dev.wsmanager.testing.Scrape;
import dev.wsmanager.testing.WsPeer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A listener that blocks in a message callback on a healthy feed is reported as such, never as a
 * network fault; queued delivery keeps the reader free.
 *
 * <p>The idle timer and the backoff run on {@link FakeTime}, and the test sends each message and
 * waits until it is counted before it moves time on: the timers see exactly the feed the test
 * describes, however slowly the machine runs.
 */
class ListenerStalledTest {
  private final WsPeer peer = new WsPeer();
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicInteger ticks = new AtomicInteger();
  private final FakeTime time = new FakeTime();
  private final WsManager manager =
      WsManager.builder()
          .name("stalled")
          .registry(registry)
          .clock(time)
          .scheduler(time)
          .random(() -> 0.0) // no jitter: the backoff is exactly 50 ms
          .reconnectPolicy(ReconnectPolicy.builder().initialDelay(Duration.ofMillis(50)).build())
          .build();

  @AfterEach
  void tearDown() {
    release.countDown();
    manager.close(Duration.ofSeconds(5));
    peer.close();
  }

  /** Sends the next tick and waits until the stream has counted it. */
  private String tick() {
    String text = "tick-" + ticks.incrementAndGet();
    long before = manager.stats().messagesReceived();
    peer.broadcast(text);
    Await.until(text + " counted", () -> manager.stats().messagesReceived() == before + 1);
    return text;
  }

  private RecordingListener blockingOnFirstText() {
    return new RecordingListener() {
      @Override
      public void onText(ManagedStream stream, String text) {
        super.onText(stream, text);
        if (texts.size() == 1) {
          try {
            release.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      }
    };
  }

  /** Moves time on in rechecks while the stream waits for a stalled callback, until it is OPEN. */
  private void awaitReconnect(ManagedStream s) {
    Await.until(
        "reconnected after the callback returned",
        () -> {
          if (s.state() == StreamState.BACKING_OFF) {
            time.advance(Duration.ofMillis(100)); // the stalled-callback recheck
          }
          return s.state() == StreamState.OPEN;
        });
  }

  @Test
  void aListenerBlockedInOnTextIsReportedAsListenerStalledNotIdleTimeout() {
    RecordingListener listener = blockingOnFirstText();
    ManagedStream s =
        manager.open(
            StreamSpec.builder("slow", peer.url())
                .pingInterval(Duration.ZERO)
                .idleTimeout(Duration.ofMillis(300))
                .listener(listener)
                .build());
    Await.until("open", () -> s.state() == StreamState.OPEN);
    tick();
    // direct delivery: the reader thread itself is now inside the blocked callback
    Await.until("the listener blocked", () -> listener.texts.size() == 1);
    time.advance(Duration.ofMillis(299));
    assertThat(s.state()).isEqualTo(StreamState.OPEN);
    time.advance(Duration.ofMillis(1));
    assertThat(s.state()).isEqualTo(StreamState.BACKING_OFF);
    Await.until("failure", () -> !listener.failures.isEmpty());
    assertThat(listener.failures).containsExactly(FailureReason.LISTENER_STALLED);
    assertThat(s.snapshot().lastError()).startsWith("listener_stalled: ");
    assertThat(
            Scrape.value(
                registry, "ws_manager_connection_failures_total", "reason=\"listener_stalled\""))
        .isEqualTo(1);
    assertThat(
            Scrape.value(
                registry, "ws_manager_connection_failures_total", "reason=\"idle_timeout\""))
        .isZero();
    time.advance(Duration.ofMillis(50)); // the backoff elapses
    time.advance(Duration.ofSeconds(1)); // and ten rechecks
    assertThat(s.state())
        .as("no reconnect while the callback is stuck")
        .isEqualTo(StreamState.BACKING_OFF);
    assertThat(manager.stats().connectionAttempts()).isEqualTo(1);
    release.countDown();
    awaitReconnect(s);
    assertThat(manager.stats().connectionAttempts()).isEqualTo(2);
  }

  @Test
  void queuedDeliveryKeepsTheConnectionReadingAndDropsTheOldest() {
    RecordingListener listener = blockingOnFirstText();
    ManagedStream s =
        manager.open(
            StreamSpec.builder("queued", peer.url())
                .pingInterval(Duration.ZERO)
                .idleTimeout(Duration.ofMillis(300))
                .queuedDelivery(3, QueueOverflow.DROP_OLDEST)
                .listener(listener)
                .build());
    Await.until("open", () -> s.state() == StreamState.OPEN);
    tick();
    Await.until("the listener blocked on tick-1", () -> listener.texts.size() == 1);
    // 2 s with a message every 100 ms, the listener blocked all along: more than six idle
    // timeouts pass, and the reader keeps reading (every message is counted, none blamed)
    int sent = 20;
    for (int i = 2; i <= sent; i++) {
      time.advance(Duration.ofMillis(100));
      tick();
      // counted before it is stamped and queued: wait until it has its place in the queue, so that
      // the reader has read the clock before the test moves it
      long queued = Math.min(i - 1, 3);
      long dropped = Math.max(0, i - 4);
      Await.until(
          "tick-" + i + " queued",
          () ->
              Scrape.value(registry, "ws_manager_delivery_queue_depth", "") == queued
                  && Scrape.value(registry, "ws_manager_messages_dropped_total", "") == dropped);
    }
    time.advance(Duration.ofMillis(100));
    assertThat(s.state()).isEqualTo(StreamState.OPEN);
    assertThat(listener.failures).isEmpty();
    assertThat(manager.stats().totalConnectionFailures()).isZero();
    assertThat(Scrape.value(registry, "ws_manager_delivery_queue_depth", "")).isEqualTo(3);
    assertThat(Scrape.value(registry, "ws_manager_messages_dropped_total", "")).isEqualTo(sent - 4);
    assertThat(listener.texts).containsExactly("tick-1");

    release.countDown();
    Await.until("the latest delivered", () -> listener.texts.contains("tick-" + sent));
    assertThat(listener.texts).containsExactly("tick-1", "tick-18", "tick-19", "tick-20");
    assertThat(Scrape.value(registry, "ws_manager_delivery_queue_depth", "")).isZero();
    assertThat(Scrape.value(registry, "ws_manager_messages_dropped_total", "")).isEqualTo(sent - 4);

    // the feed has stopped: an idle timeout follows, 300 ms after tick-20, and nothing blames the
    // listener
    time.advance(Duration.ofMillis(199));
    assertThat(s.state()).isEqualTo(StreamState.OPEN);
    time.advance(Duration.ofMillis(1));
    assertThat(s.state()).isEqualTo(StreamState.BACKING_OFF);
    Await.until("failure", () -> !listener.failures.isEmpty());
    assertThat(listener.failures).containsExactly(FailureReason.IDLE_TIMEOUT);
  }

  @Test
  void aFullQueueThatMayNotDropFailsTheConnectionAsListenerStalled() {
    RecordingListener listener = blockingOnFirstText();
    ManagedStream s =
        manager.open(
            StreamSpec.builder("strict", peer.url())
                .pingInterval(Duration.ZERO)
                .queuedDelivery(2, QueueOverflow.DISCONNECT)
                .listener(listener)
                .build());
    Await.until("open", () -> s.state() == StreamState.OPEN);
    tick();
    Await.until("the listener blocked on tick-1", () -> listener.texts.size() == 1);
    tick();
    tick(); // the queue is full now
    assertThat(s.state()).isEqualTo(StreamState.OPEN);
    assertThat(s.snapshot().lastFailureReason()).isNull();
    tick();
    Await.until("failure", () -> s.snapshot().lastFailureReason() != null);
    assertThat(s.snapshot().lastFailureReason()).isEqualTo(FailureReason.LISTENER_STALLED);
    assertThat(s.snapshot().lastError()).contains("delivery queue full (2 messages)");
    assertThat(s.state()).isEqualTo(StreamState.BACKING_OFF);
  }
}
